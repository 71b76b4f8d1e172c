"""The console's words in French (default) and English. A missing English word falls back to French."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

LOCALES = ("fr", "en")
COOKIE = "comptoir_lang"

FR: dict[str, str] = {
    "console": "Console", "skip": "Aller au contenu", "nav": "Navigation de la console",
    "conversations": "Conversations", "leads": "Prospects", "quotes": "Devis", "incidents": "Incidents",
    "logs": "Journal", "knowledge": "Base de connaissances", "facts": "Informations de la boutique",
    "prompts": "Consignes", "flags": "Options", "config": "Configuration du chat", "logout": "Se déconnecter",
    "login": "Connexion", "email": "Adresse e-mail", "password": "Mot de passe", "sign_in": "Se connecter",
    "bad_login": "E-mail ou mot de passe incorrect.",
    "rate_limited": "Trop de tentatives. Réessayez dans {seconds} secondes.",
    "expired": "Votre session a expiré ou le formulaire est périmé : reconnectez-vous. Votre texte est conservé.",
    "security_down": "Le service de sécurité ne répond pas ; réessayez dans un instant.",
    "forbidden": "Cette page est réservée au propriétaire de la boutique.",
    "not_found": "Introuvable.", "back": "Retour",
    "search": "Rechercher", "search_help": "E-mail ou texte de la conversation", "all": "Toutes",
    "waiting": "En attente d'un humain", "human": "Prise en main", "bot": "Assistant",
    "state": "État", "last_message": "Dernier message", "updated": "Activité", "messages": "Messages",
    "visitor": "Visiteur", "assistant": "Assistant", "no_conversations": "Aucune conversation.",
    "take_over": "Prendre la main", "hand_back": "Rendre à l'assistant", "reply": "Répondre au visiteur",
    "send": "Envoyer", "held_by": "Tenue par {name}", "entities": "Informations relevées",
    "lead_score": "Score du prospect", "sources": "Sources", "transcript": "Conversation",
    "sound": "Son à l'arrivée d'une demande", "new_handoff": "Nouvelle demande de conseiller",
    "live_off": "Mises à jour en direct interrompues ; rechargez la page.",
    "score": "Score", "name": "Nom", "phone": "Téléphone", "created": "Créé", "status": "Statut",
    "total": "Total", "pdf": "PDF", "checkout": "Paiement", "open": "Ouvrir", "none": "—",
    "type": "Type", "severity": "Gravité", "resolved": "Résolu", "unresolved": "À traiter",
    "resolve": "Marquer résolu", "note": "Note", "filter": "Filtrer", "details": "Détails",
    "level": "Niveau", "category": "Catégorie", "message": "Message",
    "upload": "Ajouter des fichiers", "add_url": "Ajouter une page web", "url": "Adresse (URL)",
    "documents": "Documents", "source": "Source", "title": "Titre", "chunks": "Passages",
    "reindex": "Réindexer", "delete": "Supprimer", "queued": "Demande envoyée : {what}.",
    "key": "Clé", "value": "Valeur", "version": "Version", "save": "Enregistrer", "history": "Historique",
    "rollback": "Revenir à cette version", "changed_by": "Par", "diff": "Différences",
    "content": "Contenu", "saved": "Enregistré.", "flag_help": "Ce que fait l'option",
    "on": "Activée", "off": "Désactivée", "unknown_flag": "Option inconnue : {name}.",
    "required": "Ce champ est obligatoire.", "too_long": "Au plus {n} caractères.",
    "integer_range": "Un nombre entier de {low} à {high}.", "invalid_url": "Une adresse http(s) complète.",
    "opening_hours_help": "Format : « lun-ven 09:00-18:00; sam 10:00-12:00 » (heure de Paris).",
    "invalid_hours": "Horaires illisibles : {reason}.", "users": "Utilisateurs", "role": "Rôle",
    "owner": "Propriétaire", "adviser": "Conseiller", "language": "English",
    "handoff_reason_visitor_asked": "Le visiteur a demandé un conseiller",
    "handoff_reason_assistant_stuck": "L'assistant ne trouvait pas la réponse",
    "resolved_at": "Résolu le", "page_next": "Suivant", "page_prev": "Précédent",
    "add_fact": "Ajouter ou modifier une information", "from_version": "Version {v}",
    "current": "actuelle", "previous": "précédente",
    "upload_hint": "PDF, Markdown, texte ou HTML (UTF-8), 5 Mo au plus.", "upload_send": "Envoyer le fichier",
    "empty_file": "Le fichier est vide.", "file_too_large": "Le fichier dépasse 5 Mo.",
    "not_a_pdf": "Ce fichier .pdf n'est pas un PDF.",
    "max_turns": "Tours de conversation au plus", "session_ttl": "Durée de vie d'une session (jours)",
    "topic_lock": "Tours hors sujet avant recentrage",
    "purchases": "Achats", "intents": "Intentions",
    "flag_v3KillSwitch": "Coupe le modèle de langage : l'assistant répond en mode documentaire seulement.",
    "flag_topicLockEnabled": "Recentre poliment la conversation sur la boutique après plusieurs messages hors sujet.",
    "flag_conversationGuardEnabled": "Vérifie chaque réponse du modèle (fuite de consignes, données d'autrui).",
    "flag_roleLockEnabled": "Refuse les demandes de changer le rôle de l'assistant.",
}

EN: dict[str, str] = {
    "console": "Console", "skip": "Skip to content", "nav": "Console navigation",
    "conversations": "Conversations", "leads": "Leads", "quotes": "Quotes", "incidents": "Incidents",
    "logs": "Logs", "knowledge": "Knowledge base", "facts": "Shop facts", "prompts": "Prompts",
    "flags": "Flags", "config": "Chat configuration", "logout": "Log out", "login": "Log in",
    "email": "E-mail address", "password": "Password", "sign_in": "Log in",
    "bad_login": "Wrong e-mail or password.", "rate_limited": "Too many attempts. Try again in {seconds} seconds.",
    "expired": "Your session expired or the form is stale: log in again. Your text is kept.",
    "security_down": "The security service is not answering; try again in a moment.",
    "forbidden": "This page is for the shop owner only.", "not_found": "Not found.", "back": "Back",
    "search": "Search", "search_help": "E-mail or text of the conversation", "all": "All",
    "waiting": "Waiting for a human", "human": "Taken over", "bot": "Assistant", "state": "State",
    "last_message": "Last message", "updated": "Activity", "messages": "Messages", "visitor": "Visitor",
    "assistant": "Assistant", "no_conversations": "No conversations.", "take_over": "Take over",
    "hand_back": "Hand back to the assistant", "reply": "Reply to the visitor", "send": "Send",
    "held_by": "Held by {name}", "entities": "What we learned", "lead_score": "Lead score",
    "sources": "Sources", "transcript": "Conversation", "sound": "Sound when a request arrives",
    "new_handoff": "New request for an adviser", "live_off": "Live updates stopped; reload the page.",
    "score": "Score", "name": "Name", "phone": "Phone", "created": "Created", "status": "Status",
    "total": "Total", "pdf": "PDF", "checkout": "Checkout", "open": "Open", "none": "—", "type": "Type",
    "severity": "Severity", "resolved": "Resolved", "unresolved": "To handle", "resolve": "Mark resolved",
    "note": "Note", "filter": "Filter", "details": "Details", "level": "Level", "category": "Category",
    "message": "Message", "upload": "Add files", "add_url": "Add a web page", "url": "Address (URL)",
    "documents": "Documents", "source": "Source", "title": "Title", "chunks": "Passages",
    "reindex": "Re-index", "delete": "Delete", "queued": "Request sent: {what}.", "key": "Key",
    "value": "Value", "version": "Version", "save": "Save", "history": "History",
    "rollback": "Roll back to this version", "changed_by": "By", "diff": "Differences", "content": "Content",
    "saved": "Saved.", "flag_help": "What the flag does", "on": "On", "off": "Off",
    "unknown_flag": "Unknown flag: {name}.", "required": "This field is required.",
    "too_long": "At most {n} characters.", "integer_range": "A whole number from {low} to {high}.",
    "invalid_url": "A full http(s) address.",
    "opening_hours_help": "Format: “mon-fri 09:00-18:00; sat 10:00-12:00” (shop time zone).",
    "invalid_hours": "Unreadable opening hours: {reason}.", "users": "Users", "role": "Role",
    "owner": "Owner", "adviser": "Adviser", "language": "Français",
    "handoff_reason_visitor_asked": "The visitor asked for an adviser",
    "handoff_reason_assistant_stuck": "The assistant could not find the answer",
    "resolved_at": "Resolved at", "page_next": "Next", "page_prev": "Previous",
    "add_fact": "Add or change a fact", "from_version": "Version {v}", "current": "current",
    "previous": "previous", "upload_hint": "PDF, Markdown, text or HTML (UTF-8), 5 MB at most.",
    "upload_send": "Upload the file",
    "empty_file": "The file is empty.", "file_too_large": "The file is over 5 MB.",
    "not_a_pdf": "This .pdf file is not a PDF.",
    "purchases": "Purchases", "intents": "Intents",
    "flag_v3KillSwitch": "Switches the language model off: the assistant answers from the documents only.",
    "flag_topicLockEnabled": "Politely brings the conversation back to the shop after several off-topic messages.",
    "flag_conversationGuardEnabled": "Checks every model answer (leaked instructions, other people's data).",
    "flag_roleLockEnabled": "Refuses requests to change the assistant's role.",
    "max_turns": "Conversation turns at most", "session_ttl": "Session lifetime (days)",
    "topic_lock": "Off-topic turns before refocusing",
}

WORDS = {"fr": FR, "en": EN}


def locale_of(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(COOKIE) or ""
    if asked in LOCALES:
        return asked
    accept = request.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "fr"


def translator(locale: str) -> Callable[..., str]:
    words = WORDS.get(locale, FR)

    def t(key: str, **values: object) -> str:
        text = words.get(key) or FR.get(key) or key
        return text.format(**values) if values else text

    return t
