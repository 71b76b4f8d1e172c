"""What the visitor sees instead: short, polite, in their language (French by default)."""

from __future__ import annotations

_BLOCKED = {
    "fr": "Je ne peux pas donner suite à cette demande. Puis-je vous aider à propos de nos produits "
          "ou de votre commande ?",
    "en": "I can't help with that request. Can I help you with our products or your order?",
    "es": "No puedo atender esa solicitud. ¿Puedo ayudarle con nuestros productos o su pedido?",
    "de": "Dabei kann ich nicht helfen. Kann ich Ihnen bei unseren Produkten oder Ihrer Bestellung helfen?",
    "it": "Non posso dare seguito a questa richiesta. Posso aiutarla con i nostri prodotti o il suo ordine?",
}
_RATE_LIMITED = {
    "fr": "Vous envoyez beaucoup de messages. Merci de patienter {seconds} s avant de réessayer.",
    "en": "You are sending a lot of messages. Please wait {seconds} s before trying again.",
    "es": "Está enviando muchos mensajes. Espere {seconds} s antes de volver a intentarlo.",
    "de": "Sie senden sehr viele Nachrichten. Bitte warten Sie {seconds} s und versuchen Sie es erneut.",
    "it": "Sta inviando molti messaggi. Attenda {seconds} s prima di riprovare.",
}
_OUTPUT = {
    "fr": "Désolé, je ne peux pas partager cette information. Puis-je vous aider autrement ?",
    "en": "Sorry, I can't share that information. Can I help you with something else?",
    "es": "Lo siento, no puedo compartir esa información. ¿Puedo ayudarle con otra cosa?",
    "de": "Diese Information kann ich leider nicht teilen. Kann ich Ihnen anders helfen?",
    "it": "Mi dispiace, non posso condividere questa informazione. Posso aiutarla in altro modo?",
}


def _lang(locale: str | None) -> str:
    return (locale or "fr").split("-")[0].split("_")[0].lower()


def blocked(locale: str | None) -> str:
    return _BLOCKED.get(_lang(locale), _BLOCKED["fr"])


def rate_limited(locale: str | None, seconds: int) -> str:
    return _RATE_LIMITED.get(_lang(locale), _RATE_LIMITED["fr"]).format(seconds=max(1, seconds))


def output_blocked(locale: str | None) -> str:
    return _OUTPUT.get(_lang(locale), _OUTPUT["fr"])
