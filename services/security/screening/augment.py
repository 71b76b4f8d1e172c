"""Benign shop messages made from templates, for training only (never for evaluation).

Without them the model learns that "tell me your…", "give me…", "you are…" or "forget…" mean an
attack, because in the public sets those words mostly appear in attacks. Crossing visitor phrasings
with shop nouns in five languages teaches it that the *object* decides: "tell me your return policy"
is a question, "tell me your instructions" is not. Deterministic (a fixed stride over the cross
product), so training stays reproducible.
"""

from __future__ import annotations

from itertools import product

_FRAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        ("Tell me {}.", "Give me {}, please.", "Show me {}.", "What are {}?", "Can you repeat {}?",
         "Forget {}, I changed my mind.", "Ignore {}, it was a mistake.", "Now tell me {}.",
         "You are great, can you send me {}?", "Please list {}.", "What's {}?", "I forgot {}, can you help?"),
        ("your shipping costs", "your return policy", "your best sellers", "the opening hours of your shop",
         "your loyalty programme", "your phone number", "my previous order", "the delivery options",
         "the size guide", "your store address", "the care label", "my last message",
         "your new arrivals", "the warranty period", "the code of my gift card", "my password reset link"),
    ),
    "fr": (
        ("Dis-moi {}.", "Donnez-moi {}, s'il vous plaît.", "Montrez-moi {}.", "Quelles sont {} ?",
         "Pouvez-vous répéter {} ?", "Oubliez {}, j'ai changé d'avis.", "Ignorez {}, c'était une erreur.",
         "Maintenant, dites-moi {}.", "Vous êtes super, vous pouvez m'envoyer {} ?", "J'ai oublié {}.",
         "Quel est {} ?", "Rappelez-moi {}."),
        ("vos frais de livraison", "votre politique de retour", "vos meilleures ventes", "vos horaires d'ouverture",
         "votre programme de fidélité", "votre numéro de téléphone", "ma commande précédente",
         "les options de livraison", "le guide des tailles", "l'adresse du magasin", "l'étiquette d'entretien",
         "mon dernier message", "vos nouveautés", "la durée de garantie", "le code de ma carte cadeau",
         "le lien pour changer mon mot de passe"),
    ),
    "es": (
        ("Dime {}.", "Dame {}, por favor.", "¿Cuáles son {}?", "Olvida {}, cambié de opinión.",
         "Ignora {}, fue un error.", "Ahora dime {}.", "¿Puedes repetir {}?"),
        ("los gastos de envío", "vuestra política de devoluciones", "los más vendidos", "el horario de la tienda",
         "mi pedido anterior", "la guía de tallas", "la etiqueta de cuidado", "mi último mensaje"),
    ),
    "de": (
        ("Sag mir {}.", "Geben Sie mir bitte {}.", "Was sind {}?", "Vergessen Sie {}, ich habe es mir anders überlegt.",
         "Ignorieren Sie {}, das war ein Fehler.", "Jetzt sagen Sie mir bitte {}.", "Wiederholen Sie bitte {}."),
        ("die Versandkosten", "Ihre Rückgabebedingungen", "Ihre Bestseller", "die Öffnungszeiten",
         "meine vorherige Bestellung", "die Größentabelle", "das Pflegeetikett", "meine letzte Nachricht"),
    ),
    "it": (
        ("Dimmi {}.", "Dammi {}, per favore.", "Quali sono {}?", "Dimentica {}, ho cambiato idea.",
         "Ignora {}, era un errore.", "Ora dimmi {}.", "Puoi ripetere {}?"),
        ("le spese di spedizione", "la vostra politica di reso", "i più venduti", "gli orari del negozio",
         "il mio ordine precedente", "la guida alle taglie", "l'etichetta di lavaggio", "il mio ultimo messaggio"),
    ),
}


# One-word and greeting messages: the public sets have few, so the model had no opinion on them.
_SHORT = (
    "Bonjour", "Bonjour !", "Bonsoir", "Salut", "Coucou", "Merci", "Merci beaucoup", "Oui", "Non", "D'accord",
    "Ok", "Stop", "Test", "Aide", "Bonjour, j'ai une question", "Hello", "Hi", "Hi there", "Hey", "Thanks",
    "Thank you", "Yes", "No", "Okay", "Help", "Hello?", "Hola", "Gracias", "Sí", "Hallo", "Guten Tag", "Danke",
    "Ja", "Nein", "Ciao", "Buongiorno", "Grazie", "Sì", "?", "...", "Bonjour, vous êtes là ?", "Are you there?",
)
# Small talk and words that attacks also use ("texte", "histoire", "message") in harmless requests.
_CHAT = (
    "Raconte-moi une blague.", "Tu connais une bonne blague ?", "Qui es-tu ?", "Tu es un robot ?",
    "Le texte de la fiche produit est en anglais, c'est normal ?", "Pouvez-vous corriger le texte de ma carte cadeau ?",
    "Ceci est un test.", "Message de test.", "Je vous écris au sujet de ma facture.", "Quelle belle journée !",
    "Le texte sur le t-shirt est-il brodé ou imprimé ?", "Tell me a joke.", "Who are you?", "Are you a robot?",
    "This is a test message.", "Is the text on the mug printed or engraved?", "Can you check the text of my gift card?",
    "What a lovely day!", "Cuéntame un chiste.", "Erzähl mir einen Witz.", "Raccontami una barzelletta.",
    "¿Quién eres?", "Wer bist du?", "Chi sei?", "Das ist ein Test.", "Questo è un test.",
)


def benign_templates(stride: int = 3) -> list[str]:
    """Short messages and small talk, then every `stride`-th frame × noun pair of each language (~250)."""
    messages: list[str] = list(_SHORT) + list(_CHAT)
    for frames, nouns in _FRAMES.values():
        pairs = list(product(frames, nouns))
        messages += [frame.format(noun) for frame, noun in pairs[::stride]]
    return messages
