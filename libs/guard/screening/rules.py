"""The rule table: `RuleSpec`s (signal, prefilter keys, incident type, weight, pattern) over folded text.
The core rules by type are here (injection, disclosure, role override, fake role tags, spaced-out and
joined spellings, other scripts); the attack families they under-covered are in `families.py`.

A weight is the chance that a message is an attack given the rule fired; the scorer combines them
(noisy-or). With the default thresholds 0.5 flags on its own and 0.85 blocks on its own. Weak rules
(persona requests, a mention of a password) only count together with other signals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from libs.guard.screening import lexicon as x
from libs.guard.screening.anchors import Vocabulary
from libs.guard.screening.families import FAMILIES, SOFT_FAMILIES
from libs.guard.screening.spec import Rule, RuleSpec

_OBJECT_KEYS = (
    "guidance", "instruc", "consign", "regle", "rule", "directiv", "guideline", "direction", "prompt", "program",
    "constraint", "contraint", "restric", "indicac", "directric", "regla", "anweis", "regeln", "vorgab",
    "befehl", "richtlin", "istruz", "regol", "dirett", "indicaz", "order", "ordre", "command", "training",
    "everything", "tout ce", "todo lo", "alles", "tutto", "text", "context", "told", "above", "precede",
    "obig", "anterior", "sopra", "ausfuhrung", "qu'on t", "on t'a", "script",
)
_SECRET_KEYS = (
    "key", "cle", "passe", "password", "credential", "identifiant", "token", "jeton", "env", "database",
    "connection", "chaine", "clave", "contrasena", "passwort", "schlussel", "zugangsdat", "chiave", "parola",
    "webhook", "service", "secret", "code", "phrase", "senha", "wachtwoord", "パスワード", "пароль",
)
_ROLE_KEYS = (
    "act like", "persona", "personnalit", "agis", "stop being", "arrete d'etre", "simul", "as if", "comme si",
    "from this point", "from here", "you are", "you're", "now", "pretend", "role", "imagine", "tu es", "vous etes",
    "semblant", "comme si",
    "comporte", "n'es plus", "incarne", "a partir de", "eres", "finge", "bist", "tu so", "rolle", "sei",
    "fingi", "interpreta",
)
_CUSTOMER_KEYS = ("customer", "client", "user", "utilisateur", "usuario", "kunde", "benutzer", "utent", "visit")
_LANGS_INSTRUCTIONS = (r"(?:instructions|consignes|regles|rules|reglas|regeln|regole|restrictions|directives|"
                       r"directions|guidelines|instrucciones|anweisungen|istruzioni)")

_INJECTION: tuple[RuleSpec, ...] = (
    RuleSpec("ignore_previous_instructions", _OBJECT_KEYS, "injection", 0.9,
     x.IGNORE + r"\s+(?:(?:all|any|tout(?:es)?|tous|todas?|alle[ns]?|tutte?) )?"
     r"(?:(?:the|les|la|le|las|los|die|of|de|d'|des|of the) )?" + x.PREVIOUS + r"\s+" + x.FILLER + x.INSTRUCTIONS),
    RuleSpec("ignore_instructions", _OBJECT_KEYS, "injection", 0.7,
             x.IGNORE + r"\s+" + x.FILLER + x.INSTRUCTIONS + r"\b"),
    RuleSpec("instructions_ignored", ("ignorier", "vergessen", "missacht"), "injection", 0.7,
     r"(?:anweisungen|regeln|ausfuhrungen|vorgaben|befehle|alles|instruktionen)\s+(?:\w+\s+){0,3}?"
     r"(?:ignorieren|vergessen|missachten)"),
    RuleSpec("ignore_everything", ("everything", "all that", "it all", "tout", "todo", "alles", "tutto"), "injection",
                                   0.45,
     x.IGNORE + r"\s+(?:everything|all that|it all|tout(?:es)?|todo|alles|tutto)\b"),
    RuleSpec("drop_previous_context", ("previous", "prior", "earlier", "preced", "anterior", "vorherig", "vorangegang",
                                       "bisherig"), "injection", 0.6,
     r"(?:all|any|every|toutes? les|tous les|todas las|alle|tutte le|tutti i) (?:the |of the |your )?"
     + x.PREVIOUS_CONTEXT),
    RuleSpec("rules_do_not_apply", ("apply", "appliqu", "void", "cancel", "suspend", "lifted", "annul", "levee",
                                    "aplica",
                                    "gelten", "valgono", "revoked", "caduq", "anulad", "aufgehob", "delet", "remov",
                                    "eras",
                                    "reset", "disabl", "gone", "supprim", "effac", "desactiv", "elimin", "borrad",
                                    "gelosch",
                                    "entfern", "rimoss"), "injection", 0.85,
     _LANGS_INSTRUCTIONS + r"\s+(?:\w+\s+)?(?:no longer apply|are (?:now )?(?:cancelled|canceled|void|revoked)|"
     r"sont (?:desormais )?(?:annulees|caduques)|quedan anuladas|sind aufgehoben|sono annullate|"
     r"(?:were|are|have been) (?:deleted|removed|erased|reset|disabled|gone|lifted)|ont ete (?:supprimees|effacees|"
     r"desactivees|levees)|fueron (?:eliminadas|borradas)|wurden (?:geloscht|entfernt|aufgehoben)|"
     r"sono state (?:cancellate|rimosse)|no longer apply|don'?t apply|are (?:void|cancelled|suspended|lifted)|"
     r"ne s'appliquent plus|sont (?:annulees|levees|suspendues)|ya no (?:aplican|se aplican)|gelten nicht mehr|"
     r"non valgono piu)"),
    RuleSpec("instructions_are_now", ("instruc", "consign", "anweis", "istruz", "task", "tache"), "injection", 0.8,
     r"(?:your|tes|vos|tus|deine|le tue) (?:new )?(?:instructions|consignes|instrucciones|anweisungen|istruzioni|"
     r"task|tache) (?:are|is|sont|est|son|sind|sono) (?:now|maintenant|desormais|ahora|jetzt|nun|ora)"),
    RuleSpec("new_instructions", ("instruc", "consign", "directiv", "anweis", "istruz", "rule", "regle", "regla",
                                  "regel",
                                  "regol", "task", "tache", "aufgabe", "compit", "tarea", "priorit", "vorrangig"),
     "injection", 0.6,
     r"(?<!my )(?<!mes )(?<!ma )(?<!mon )(?<!mis )(?<!mi )(?<!meine )(?<!our )(?<!nos )(?<!le mie )"
     r"(?:new|updated|real|actual|true|further|nouvel(?:le)?s?|vraies?|nuevas?|neue[nr]?|weitere|nuov[aeo]|echten) "
     r"(?:instructions?|consignes?|directives?|instrucciones|anweisungen|istruzioni|rules?|regles?|reglas?|regeln?|"
     r"regola|regole|tasks?|taches?|aufgaben?|compiti|compito|tareas?)"
     # "new instructions from my wife: the blue one" is a customer relaying a change
     r"(?!\s+(?:from|de|d'|von|di|da|del) (?:my|ma|mon|mes|mi|mis|meine[mnr]?|mia|mio|our|notre|nos|the boss|"
     r"mon chef)\b)"
     r"(?:\s+[\w']+){0,4}?\s*(?::|-|are|sont|follow|"
     r"folgen|suivent|siguen|seguono)|"
     r"(?:highest|top|absolute|first) priority (?:instruction|directive|rule|order)|"
     r"(?:consigne|instruction|directive|regle) (?:absolument )?prioritaire|instruccion prioritaria|"
     r"vorrangige (?:anweisung|regel)|istruzione prioritaria|"
     r"(?:now|nun|jetzt|maintenant|ahora|ora) (?:follow|folgen|suivent|siguen|seguono|come) (?:\w+ )?"
     r"(?:new|further|neue|weitere|nouvelles|nuevas|nuove) (?:instructions|tasks|anweisungen|aufgaben|consignes|"
     r"taches|instrucciones|tareas|istruzioni|compiti)"),
    RuleSpec("obey_me", ("obey", "obei", "obedec", "gehorch", "obbedisc"), "injection", 0.6,
     r"(?:you (?:must|will|shall) (?:now )?obey|obey (?:only )?me|tu (?:dois|vas) (?:maintenant )?m'obeir|obeis-moi|"
     r"tu m'obeis|obedeceme|obedece(?:me)? solo a mi|gehorche (?:nur )?mir|du gehorchst mir|obbediscimi|"
     r"obbedisci solo a me)"),
    RuleSpec("third_person_order", ("assistant", "chatbot", "bot", "asistente", "assistent"), "injection", 0.55,
     r"(?:the|this|l'|el|der|l') ?(?:assistant|assistante|chatbot|bot|ai|ia|asistente|assistent|assistente) "
     r"(?:must|should|shall|will now|is required to|has to|doit|devra|debe|muss|soll|deve)\b"),
    RuleSpec("management_notice", ("management", "direction", "headquarters", "owner", "siege", "direccion", "leitung",
                                   "geschaftsfuhrung", "direzione", "admin"), "injection", 0.5,
     r"(?:update|message|notice|memo|instruction|note|order)s? (?:\w+ )?(?:from|de la|du|de|del|von der|della) "
     r"(?:the )?(?:management|direction|headquarters|owner|siege|direccion|leitung|geschaftsfuhrung|direzione|"
     r"admin\w*)"),
    RuleSpec("safety_off", ("off", "disabl", "deactiv", "desactiv", "suspend", "test environment",
                            "environnement de test"),
     "injection", 0.6,
     r"(?:safety|security|securite|seguridad|sicherheits?|sicurezza|content|moderation|filter|filtre)\s*(?:\w+\s+)?"
     r"(?:rules?|regles?|filters?|filtres?|checks?|guardrails|garde-fous|reglas|regeln|regole)?\s*(?:are|is|were|"
     r"have been|"
     r"sont|est|ont ete|estan|sind|sono)\s+(?:now |desormais )?(?:turned off|switched off|off|disabled|deactivated|"
     r"desactivee?s?|suspendue?s?|desactivad[ao]s|deaktiviert|disattivat[ei])"),
    RuleSpec("new_role", ("role", "rol", "rolle", "ruolo", "persona"), "role_override", 0.6,
     r"(?:new|nouveau|nuevo|neue|nuovo|your) (?:role|rol|rolle|ruolo|persona)\s*[:-]"),
    RuleSpec("evil_persona", ("evil", "malicious", "malveillant", "malvado", "bose", "malvagio", "twin"),
                              "role_override", 0.6,
     r"(?:evil|malicious|malveillante?|malvad[oa]|bose[rn]?|malvagi[oa]) (?:twin|version|jumeau|jumelle|gemelo|"
     r"zwilling|gemello|assistant|ai|ia|bot|mode)|(?:jumeau|jumelle|gemelo|zwilling|gemello) (?:malefique|malvado|"
     r"bose|malvagio)"),
    RuleSpec("forget_the_shop", ("shop", "store", "boutique", "tienda", "laden", "negozio"), "injection", 0.5,
     x.IGNORE + r"\s+(?:the|la|le|this|cette|ce|la|el|den|il) (?:shop|store|boutique|tienda|laden|shop|negozio)\b"),
    RuleSpec("permission_grant", ("may", "can", "allowed", "free to", "permission", "peux", "droit", "puedes", "darfst",
                                  "puoi"), "injection", 0.65,
     r"you (?:may|can|are allowed to|are free to|have permission to) (?:now )?(?:say|discuss|share|reveal|answer|do|"
     r"talk about|ignore) (?:anything|everything|whatever)|tu (?:peux|as le droit de) (?:maintenant )?(?:tout dire|"
     r"tout reveler|parler de tout|repondre a tout|tout faire)|puedes (?:decir|hacer) (?:cualquier cosa|todo)|"
     r"du darfst (?:jetzt )?alles|puoi (?:dire|fare) (?:qualsiasi cosa|tutto)"),
    RuleSpec("real_task", ("task", "purpose", "goal", "mission", "tache", "but ", "objectif", "tarea", "aufgabe",
                           "compito",
                           "scopo"), "injection", 0.75,
     r"(?:your|ta|tu|deine|il tuo) (?:real|actual|true|new|vraie|veritable|nouvelle|verdadera|nueva|eigentliche|neue|"
     r"vero|nuovo) (?:task|purpose|goal|mission|job|tache|but|objectif|tarea|aufgabe|compito|scopo)\b"),
    RuleSpec("append_to_replies", ("every", "each", "chaque", "tous les", "cada", "jede", "ogni"), "injection", 0.65,
     r"(?:append|add|include|insert|ajoute[rz]?|inclu[st]|anade|agrega|fuge|aggiungi)\s+(?:\w+\s+){0,5}?"
     r"(?:to|at the end of|in|a|dans|en|a la fin de|zu|in|a) (?:every|each|all|chaque|toutes? les|cada|todas las|"
     r"jede[rn]?|ogni) (?:reply|replies|answer|response|message|reponses?|respuestas?|antwort\w*|rispost\w*)|"
     r"(?:reply|respond|answer|reponds?|responde|antworte|rispondi) (?:to |a )?(?:every|each|all|chaque|tous les|"
     r"cada|jede|ogni) (?:message|question|demande|mensaje|nachricht|messaggio)s? (?:with|avec|con|mit)"),
    RuleSpec("override_prefix", ("override", "jailbreak", "sudo", "[admin", "[ admin", "[root", "[developer"),
     "role_override", 0.7,
     r"(?:^|\n)\s*(?:admin |system |developer )?(?:override|jailbreak|sudo mode)\s*[:!]|"
     r"\[\s*(?:admin|administrator|root|developer|sudo)\s*\]\s*:?"),
    RuleSpec("repeat_after_me", ("repeat after", "repete apres", "repite despues", "sprich mir nach", "ripeti dopo"),
     "injection", 0.5,
     r"repeat after me|repete(?:z)? apres moi|repite despues de mi|sprich mir nach|ripeti dopo di me"),
    RuleSpec("despite_instructions", ("told", "dit", "gesagt", "dicho", "detto"), "injection", 0.6,
     r"(?:despite|regardless of|in spite of) what (?:you(?:'ve| have)? been|you were) told|"
     r"malgre ce qu'on (?:t'a|vous a) dit|trotz allem,? was (?:dir|man dir) gesagt|"
     r"a pesar de lo que te (?:han dicho|dijeron)|nonostante (?:quello|cio) che ti (?:hanno|e stato) detto"),
    RuleSpec("override_safety", ("safety", "securit", "filt", "guard", "restric", "moderation", "policy", "garde-fou",
                                 "segurid", "sicherheit", "sicurezza", "schutz"), "injection", 0.85,
     r"(?:filters?|filtres?|sicherheit\w*|regeln|schutz\w*)\s+(?:\w+\s+){0,2}?(?:umgeh\w*|deaktivier\w*|aushebel\w*)|"
     r"(?:bypass|override|disable|deactivate|turn off|circumvent|contourn|desactiv|outrepass|elud|salta|umgeh|"
     r"deaktivier|aggir|disattiv|evit)\w*\s+(?:\w+\s+){0,3}?(?:safety|security|filters?|"
     r"guard\w*|restrictions?|moderation|content policy|securite|filtres?|garde-fous|seguridad|filtros|"
     r"sicherheit\w*|filter|sicurezza|filtri)"),
    RuleSpec("no_limits", ("restric", "filt", "censor", "censur", "limit", "rules", "regle", "regla", "regeln",
                           "regole",
                           "ethic", "guideline", "garde-fou", "einschrank", "grenzen", "zensur"), "injection", 0.5,
     x.NO_LIMITS),
    RuleSpec("forced_output", ("output", "print", "say", "write", "reply", "respond", "answer", "dis", "ecri", "repond",
                               "sag", "schreib", "di ", "scrivi"), "injection", 0.5,
     r"\b(?:just|only|simply|instead|seulement|uniquement|juste|nur|solo|soltanto)\s+(?:output|print|say|write|"
     r"reply|respond|answer|dis|dites|ecris|ecrivez|reponds|repondez|sag|schreib|di|scrivi|rispondi)\b"
     r"(?: with| par| mit| con)?\s*[:\"'«“]"),
    RuleSpec("nothing_else", ("nothing else", "rien d'autre", "nada mas", "sonst nichts", "nient'altro",
                              "nothing more"),
     "injection", 0.5,
     r"(?:and|et|y|und|e) (?:nothing else|nothing more|rien d'autre|rien de plus|nada mas|sonst nichts|nient'altro)"),
    RuleSpec("told_to_assistant", ("told", "dit", "dicho", "dijeron", "gesagt", "detto"), "disclosure", 0.55,
     r"(?:you were|you've been|you have been|were you) told|qu'on t'a dite?s?|que l'on t'a dite?s?|"
     r"qu'on vous a dite?s?|te (?:dijeron|han dicho)|(?:man|sie) dir gesagt (?:hat|haben)|ti (?:hanno|e stato) detto"),
    RuleSpec("say_pwned", ("pwn", "hacked", "jailbroken", "pirate"), "injection", 0.75,
     r"\b(?:i have been |i've been |j'ai ete )?(?:pwned|pwnd|hacked by|jailbroken)\b|j'ai ete pirate"),
    RuleSpec("exfil_markdown_image", ("![",), "injection", 0.8, r"!\[[^\]]*\]\(https?://[^)\s]+[?&][^)\s]*="),
    RuleSpec("exfil_send_data", ("http", "www.", "@"), "injection", 0.75,
     r"(?:send|post|forward|upload|output|envoie[rz]?|transmet[sz]?|transfere[rz]?|envia|reenvia|sende|leite|invia|"
     r"inoltra)\s+(?:[\w']+\s+){0,4}?"
     r"(?:conversations?|history|historique|data|donnees|datos|daten|dati|secrets?|prompt|logs?|transcripts?|"
     r"historial|verlauf|cronologia|l'historique)\s+(?:\w+\s+){0,3}?"
     r"(?:to|a|an|vers|sur)\s+(?:https?://|www\.|\S+@\S+)"),
    RuleSpec("sql_injection", ("select", "drop", "delete", "truncate", "alter", "=", "pg_sleep", "xp_cmdshell",
                               "information_schema"), "injection", 0.8,
     r"(?:\bunion\s+(?:all\s+)?select\b|;\s*(?:drop|delete|truncate|alter)\s+(?:table|from|database)\b|"
     r"\bor\s+'?1'?\s*=\s*'?1\b|\bselect\s+\*\s+from\b|\bpg_sleep\s*\(|\bxp_cmdshell\b|\binformation_schema\b)"),
    RuleSpec("command_injection", ("/etc/", "rm -rf", "curl ", "wget ", "; ls", "$(", "`"), "injection", 0.6,
     r"/etc/(?:passwd|shadow|hosts)|\brm -rf\b|\b(?:curl|wget)\s+https?://|;\s*(?:ls|cat|id|whoami)\b|\$\((?:\w+)"),
    # a <script src="https://…"> tag is an integrator pasting the widget snippet: only an inline script counts
    RuleSpec("template_injection", ("{{", "${", "<script"), "injection", 0.6,
     r"\{\{\s*(?:config|self|request|system|__\w+)|\$\{jndi:|<script\b(?![^>]*\bsrc\s*=\s*[\"']?https://)"),
)

_DISCLOSURE: tuple[RuleSpec, ...] = (
    RuleSpec("reveal_system_prompt", ("prompt", "message", "instruc", "consign", "invite", "text", "testo",
                                      "everything",
                                      "all ", "tout ce", "first", "premi", "anweis", "istruz"), "disclosure", 0.9,
     x.REVEAL + r"\s+" + x.FILLER + x.HIDDEN_PROMPT),
    RuleSpec("reveal_your_instructions", ("instruc", "consign", "regle", "rule", "prompt", "directiv", "regla",
                                          "anweis",
                                          "regeln", "istruz", "regol", "config"), "disclosure", 0.75,
     x.REVEAL + r"\s+(?:\w+\s+){0,2}?" + x.YOURS + r"\s+(?:exact |full |complete |entire |original |exactes? |"
     r"completes? )?(?:instructions|consignes|regles|rules|prompt|directives|instrucciones|reglas|anweisungen|"
     r"regeln|istruzioni|regole|configuration|config|configuracion|konfiguration|configurazione|settings|"
     r"parametres|einstellungen|impostazioni)(?:\s*(?:[?.!:]|$)|\s+(?:et|and|y|und|e)\s|\s+(?:exactly|verbatim|"
     r"word for word|"
     r"mot pour mot|textuellement|literalmente|wortlich|parola per parola|in full|en entier|above|ci-dessus|"
     r"you were given|you received|qu'on t'a donnees|que tu as recues|d'origine|completes?))"),
    RuleSpec("instructions_received", ("give", "gave", "received", "got", "told", "configur", "programm", "donne",
                                       "recu",
                                       "fourni", "dieron", "recibiste", "dado", "bekommen", "gegeben", "dato",
                                       "ricevuto",
                                       "dit"), "disclosure", 0.75,
     x.INSTRUCTION_WORDS + r"[\s,]+(?:\w+\s+){0,3}?" + x.RECEIVED),
    RuleSpec("hidden_prompt_mention", ("prompt", "message", "instruc", "consign", "istruz", "anweis"), "disclosure",
                                       0.6,
     x.HIDDEN_PROMPT),
    RuleSpec("reveal_hidden_config", ("confiden", "internal", "hidden", "secret", "private", "intern", "cache",
                                      "geheim",
                                      "verstec"), "disclosure", 0.75, x.REVEAL + r"\s+" + x.FILLER + x.HIDDEN_CONFIG),
    RuleSpec("reveal_secrets", ("secret", "segret", "geheimnis"), "disclosure", 0.75,
     x.STRONG_REVEAL + r"\s+(?:\w+\s+){0,2}?(?:your|tes|vos|tus|deine|i tuoi|the|les|los|die|i) "
     r"(?:secrets|secretos|geheimnisse|segreti)"),
    RuleSpec("customer_contacts", _CUSTOMER_KEYS, "disclosure", 0.8,
     x.REVEAL + r"\s+" + x.FILLER + r"(?:l'|d'|the |la |le |les )?" + x.CONTACTS + r"(?:\s+\w+){0,3}?\s+(?:of|des|"
     r"de|from|du|von|der|dei|degli|de los|"
     r"aller|de todos los|di tutti i) (?:the |les |la |tous les |all |your |vos |tes |tus |deiner |i tuoi )?"
     + x.CUSTOMERS + r"(?!\s*(?:service|support|care|team|relations?|desk|dienst))"),
    RuleSpec("others_contacts", (*_CUSTOMER_KEYS, "shopper", "buyer", "acheteur"), "disclosure", 0.75,
     x.OTHERS + r"\s+" + x.CUSTOMERS + r"(?:[\s,]+[\w']+){0,6}?[\s,]+(?:their |leurs? |sus |ihre |i loro )?"
     + x.CONTACTS + r"\b"),
    RuleSpec("orders_with_customer_data", ("order", "commande", "pedido", "bestellung", "ordini"), "disclosure", 0.7,
     r"(?:orders|commandes|pedidos|bestellungen|ordini)\s+(?:[\w']+\s+){0,4}?(?:with|avec|con|"
     r"mit)\s+(?:[\w']+\s+){0,2}?"
     r"(?:(?:customer|client|kunden|cliente)\w*\s+" + x.CONTACTS + "|" + x.CONTACTS + r"\s+(?:of the |des |de los |"
     r"der |dei )?"
     + x.CUSTOMERS + ")"),
    RuleSpec("last_buyer_data", ("last", "previous", "other", "dernier", "precedent", "autre", "ultim", "anterior",
                                 "letzt",
                                 "vorherig"), "disclosure", 0.75,
     x.CONTACTS + r"\s+(?:\w+\s+){0,2}?(?:of|de|du|des|von|del|dell') " + x.LAST_BUYER + "|"
     + x.LAST_BUYER + r"\s+(?:\w+\s+){0,3}?(?:e-?mail|address|adresse|phone|telephone|numero|name|nom|correo|"
     r"direccion|telefono|telefonnummer|indirizzo|nome)"),
    RuleSpec("customer_database", ("database", "base", "fichier", "datenbank", "db", "csv", "export", "dump"),
                                   "disclosure",
     0.8,
     r"(?:export|dump|download|extract|exporte[rz]?|telecharge[rz]?|extrai[st]|exporta|descarga|exportiere|esporta|"
     r"scarica|give me|donne(?:-moi)?|send me|envoie(?:-moi)?)\s+(?:\w+\s+){0,3}?(?:customer|client|user|kunden|"
     r"cliente|utent)\w*\s*(?:database|base|db|list|liste|data|donnees|datenbank|lista|dati|file|fichier)|"
     r"\b(?:base|fichier) (?:de donnees )?clients?\b|kundendatenbank|customer (?:database|db|table)|"
     r"(?:database|base de donnees|base de datos|datenbank) (?:des |de |of |der )?(?:clients|customers|clientes|"
     r"kunden)"),
    RuleSpec("service_credentials", ("credential", "identifiant", "key", "cle", "password", "passe", "token", "secret",
                                     "clave", "schlussel", "chiave"), "disclosure", 0.6,
     r"(?:credentials|identifiants|keys?|cles?|passwords?|mot de passe|tokens?|secrets?|claves?|zugangsdaten|"
     r"schlussel|chiavi|credenciales|credenziali)\s+(?:[\w'-]+\s+){0,6}?(?:stripe|wix|openai|mistral|payment "
     r"(?:provider|gateway)|database|base de donnees|server|serveur|postgres|smtp|aws|paypal)"
     r"|(?:stripe|wix|openai|payment|api|admin|database|smtp|aws) (?:credentials|identifiants|credenciales|"
     r"zugangsdaten)"),
    RuleSpec("order_owner_data", ("order", "commande", "pedido", "bestellung", "ordine"), "disclosure", 0.5,
     r"(?:name|nom|address|adresse|e-?mail|phone|telephone|nombre|direccion|anschrift|indirizzo)\s+(?:[\w'-]+\s+){0,3}?"
     r"(?:on|of|for|from|de|du|de la|del|der|dell') (?:the )?(?:order|commande|pedido|bestellung|ordine) (?:n°|no |"
     r"#)?\d+"),
    RuleSpec("preloaded_text", ("loaded", "charge", "cargaron", "cargado", "geladen", "caricato", "injected",
                                "before my",
                                "avant mon", "antes de mi", "vor meiner", "prima del"), "disclosure", 0.7,
     r"(?:text|texte|texto|testo|words|content|contenu|inhalt|contenuto|message)\s+(?:[\w'-]+\s+){0,5}?"
     r"(?:loaded|charge|cargaron|cargado|geladen|caricato|injected|provided|fourni)\b"
     r"|(?:before|avant|antes de|vor|prima d)\w* (?:my|mon|mi|meiner|del mio|il mio|this|notre|our|nuestra) "
     r"(?:first |premier |primer |ersten |primo )?(?:message|conversation|chat|mensaje|nachricht|messaggio|"
     r"conversacion)"),
    RuleSpec("written_above", ("written", "ecrit", "steht", "stand", "wurde", "escrito", "scritto"), "disclosure", 0.75,
     x.WRITTEN_ABOVE),
    RuleSpec("prompt_word", ("prompt",), "disclosure", 0.6,
     r"\b(?:your|ur|yr|ton|votre|tu|dein(?:en)?|ihren?|il tuo|the|le) (?:system |sys )?prompt\b(?! (?:delivery|reply|"
     r"response|livraison|shipping|me|us)\b)|\bsystem ?prompt\b(?! (?:me|us)\b)|\bprompt systeme\b|\bmetaprompt\b"),
    RuleSpec("reveal_secret", _SECRET_KEYS, "disclosure", 0.85,
             x.REVEAL + r"\s+" + x.FILLER + x.NOT_WIFI + x.SECRET + r"(?!\w)"
     r"(?! (?:du |de la |for the |for my |of the |of my |de mon |de ma |del |des )?(?:wifi|wi-fi|compte|account|"
     r"cuenta|konto|conto|espace client|site|app|policy|policies|requirements|rules|reset|strength|politique|"
     r"exigences|regles|reinitialisation|complexity|change|carte|card|tarjeta|karte|carta|gift|cadeau)\b)"),
    RuleSpec("secret_mention", _SECRET_KEYS, "disclosure", 0.4,
     r"(?<!\w)" + x.NOT_WIFI + x.SECRET + r"(?!\w)(?! (?:oublie|forgot|perdu|lost|reset|reinitialis))"
     + x.NO_WIFI_AFTER),
    RuleSpec("verbatim_request", ("verbatim", "word for word", "mot pour mot", "textuel", "palabra por", "wort fur",
                                  "parola per"), "disclosure", 0.45,
     r"(?:verbatim|word for word|mot pour mot|textuellement|palabra por palabra|wort fur wort|parola per parola)"),
    RuleSpec("other_customers_data", _CUSTOMER_KEYS, "disclosure", 0.8,
     x.OTHERS + r"\s+" + x.CUSTOMERS + r"(?:'s?)?\s*(?:\w+\s+){0,2}?" + x.PERSONAL_DATA + "|"
     + x.PERSONAL_DATA + r"\s+(?:of|des|de|from|du|von|der|dei|degli) (?:the |les |la )?" + x.OTHERS + r"\s+"
     + x.CUSTOMERS + "|"
     r"(?:liste|list|export|dump|base de donnees|database|fichier)\s+(?:of |de |des |du |de la )?(?:all |tous les )?"
     r"(?:customers|clients|users|utilisateurs|clientes|kunden|utenti)(?!\s+satisf)"),
)

_ROLE: tuple[RuleSpec, ...] = (
    RuleSpec("jailbreak_mode", ("mode", "modo", "modus", "modalita", "jailbre", "anything now", "evil", "dan"),
     "role_override", 0.85, x.MODE),
    RuleSpec("role_switch", _ROLE_KEYS, "role_override", 0.55, x.ROLE_SWITCH),
    RuleSpec("persona_request", ("act", "behave", "agi", "veux que", "quiero", "comporta", "verhalte", "fungieren",
                                 "voglio"), "role_override", 0.35, x.PERSONA),
    RuleSpec("impersonate_operator", ("act", "agi", "actua", "agisc", "pretend", "semblant", "finge", "fingi",
                                      "comport",
                                      "verhalte"), "role_override", 0.7,
     r"(?:" + x.PERSONA + r"|pretend to be|fais semblant d'etre|finge ser|fingi di essere) "
     r"(?:the |l'|le |el |il |der )?"
     r"(?:admin\w*|developer|developpeur|desarrollador|entwickler|sviluppatore|system|systeme|sistema|root|operator|"
     r"operateur|owner|proprietaire)\b"),
    RuleSpec("authority_claim", ("develop", "admin", "creat", "program", "system", "operator", "concepteur",
                                 "desarroll",
                                 "entwickler", "ersteller", "sviluppat", "root", "sudo"), "role_override", 0.65,
     x.AUTHORITY),
    RuleSpec("dan_persona", (" dan",), "role_override", 0.8,
     r"\bdan\b(?=.{0,80}\b(?:mode|anything|jailbreak|rules|regles|now|maintenant)\b)"
     r"|\b(?:you are|you're|tu es|act as|agis comme|eres|as|en tant que|als|come|como) dan\b"),
    RuleSpec("no_longer_assistant", ("not", "n'es pas", "no eres", "kein", "non sei"), "role_override", 0.7,
     r"(?:you are not|you're not|tu n'es pas|no eres|du bist kein|non sei) (?:an? |un |una |ein |uno )?"
     r"(?:ai|assistant|assistante?|chatbot|bot|ia|ki|asistente|assistent|assistente)\b(?! (?:de|for|pour) )"),
)

_ROLE_TAGS: tuple[RuleSpec, ...] = (
    RuleSpec("fake_role_tag", ("<", "[", "{"), "role_override", 0.9,
     r"</?\s*(?:system|sys|assistant|user|instructions?|im_start|im_end|developer|admin|context)\s*>|"
     r"<\|\s*(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id)\s*\|>|"
     r"\[/?inst\]|<</?sys>>|\[/?(?:system|admin|sys)\]|\{\s*\"role\"\s*:\s*\"(?:system|developer)\""),
    RuleSpec("fake_role_header", ("#", "system", "develop", "sistema"), "role_override", 0.85,
     r"(?:^|\n)\s*#{2,}\s*(?:system|instructions?|new instructions|admin|developer|systeme|sistema)\b|"
     r"(?:^|\n)\s*(?:system|developer|systeme|sistema)\s*(?:message|prompt|override)?\s*:"),
    RuleSpec("fake_system_message", ("system", "systeme", "sistema"), "role_override", 0.8,
     r"(?:new |updated |nouveau |nuevo |neue |nuovo )?(?:system|systeme|sistema) (?:message|prompt|instruction|update|"
     r"notice|override|nachricht|messaggio|mensaje)\s*:|\[(?:system|systeme)\]\s*\(#"),
    RuleSpec("fake_assistant_turn", (":",), "role_override", 0.55,
                                     r"(?:^|\n)\s*(?:assistant|ai|bot|human|user)\s*:\s*\S"),
)

# Letter-spaced attacks lose their word boundaries; they are matched as squashed literals instead.
_SQUASHED: tuple[RuleSpec, ...] = (
    RuleSpec("spaced_ignore_instructions", (), "injection", 0.85,
     r"(?:ignore|disregard|forget|oublie|ignora|olvida|vergiss|ignoriere|dimentica)\w{0,20}?"
     r"(?:instructions?|consignes|rules|regles|instrucciones|anweisungen|istruzioni|prompt)"),
    RuleSpec("spaced_reveal_prompt", (), "disclosure", 0.85,
     r"(?:systemprompt|promptsysteme|initialprompt|yourprompt|tonprompt|votreprompt|yourinstructions|"
     r"tesinstructions|vosinstructions|secretkey|clesecrete|password|motdepasse)"),
    RuleSpec("spaced_role_switch", (), "role_override", 0.8,
     r"(?:youarenow|tuesmaintenant|developermode|modedeveloppeur|jailbreak|doanythingnow|"
     r"actas(?:dan|an?unrestricted)|ahoraeres|dubistjetzt|oraseiun)"),
    RuleSpec("spaced_forced_statement", (), "injection", 0.7,
     r"(?:say|write|state|dis|ecris|sag|schreib|di|scrivi|escribe)(?:that|que|dass|che)?(?:you|i|tu|je|du|ich|yo|io)"
     r"(?:hate|detestes?|hasst|hasse|odias?|odio)"),
)


# Words cut by spaces ("sys tem pro mpt") keep no boundary either: every message's letters, joined, are
# matched against a few compounds that only attacks spell (never "password": "pass word" is a customer's).
_JOINED: tuple[RuleSpec, ...] = (
    RuleSpec("joined_attack_words", (), "disclosure", 0.6,
     r"systemprompt(?!s(?:the|me|us|you|for|to|customers?|users?))(?!(?:me|us)(?:for|to|a))|promptsysteme|promptdusysteme|systemanweisung|"
     r"promptdisistema|promptdelsistema|hiddenprompt|"
     r"hiddeninstructions|secretinstructions|initialprompt|ignore(?:all)?(?:your|the)?previousinstructions|"
     r"ignoreyourinstructions|disregardyourinstructions|ignore(?:toutes)?tesconsignes|oublie(?:toutes)?tesconsignes|"
     r"ignoratusinstrucciones|ignorieredeineanweisungen|ignoraleistruzioni|revealyourprompt|revealyourinstructions|"
     r"reveletesconsignes|reveletonprompt"),
)


# Attacks written in other scripts, matched on the casefolded text before look-alike mapping (Normalised.native):
# Russian, Chinese, Japanese, Korean, Arabic. An override verb with an instructions noun, or a reveal verb
# with a secret; a secret alone is only a weak signal ("я забыл пароль" is a customer's).
_R_IGNORE = r"(?:игнорир\w*|забуд\w*|забыв\w*|не обращай\w*|пренебре\w*|отбрось|отмени\w*)"
_R_RULES = r"(?:инструкци\w*|указани\w*|правил\w*|предыдущ\w*|приказ\w*|ограничени\w*|всё|все)"
_R_HIDDEN = (r"(?:пароль|парол\w+|секрет\w*|системн\w* (?:промпт\w*|подсказк\w*|инструкци\w*|сообщени\w*)|"
             r"промпт\w*|ключ\w*|密码|秘密|密钥|口令|系统提示|提示词|パスワード|秘密|合言葉|システムプロンプト|"
             r"비밀번호|암호|비밀|시스템 프롬프트|كلمة المرور|كلمة السر|السر|الرمز السري|موجه النظام)")
_R_REVEAL = (r"(?:скажи\w*|покажи\w*|раскрой\w*|назови\w*|выведи\w*|дай\w*|напиши\w*|какой|какая|каков\w*|"
             r"повтори\w*|告诉|显示|透露|给我|说出|是什么|输出|打印|教えて|見せて|表示|何ですか|書いて|알려|보여|말해|"
             r"출력|أخبرني|اكشف|ما هي|ما هو|أعطني|اطبع|اعرض)")
_NATIVE: tuple[RuleSpec, ...] = (
    RuleSpec("native_ignore_instructions", (), "injection", 0.85,
     _R_IGNORE + r"\s+(?:\w+\s+){0,3}?" + _R_RULES + r"|(?:忽略|忽视|无视|忘记|忘掉|不要理会|别管).{0,12}?(?:指令|指示|"
     r"说明|规则|提示|之前|以上|上面)|(?:無視|忘れ).{0,12}?(?:指示|命令|ルール)|(?:指示|命令|ルール|以前|上記).{0,12}?"
     r"(?:無視|忘れ)|(?:무시|잊어).{0,12}?(?:지시|명령|규칙|지침)|(?:지시|명령|규칙|지침|이전).{0,12}?(?:무시|잊어)|"
     r"(?:تجاهل|انس|إنس).{0,30}?(?:التعليمات|الأوامر|القواعد|السابقة)"),
    RuleSpec("native_reveal_secret", (), "disclosure", 0.8,
     _R_REVEAL + r".{0,40}?" + _R_HIDDEN + r"|" + _R_HIDDEN
     + r".{0,20}?(?:是什么|何ですか|教えて|見せて|알려|보여|뭐야|무엇|ما هي|ما هو|какой|скажи|покажи)"),
    RuleSpec("native_secret_mention", (), "disclosure", 0.4, _R_HIDDEN),
)


def _compile(specs: Iterable[RuleSpec], flags: int = 0) -> tuple[Rule, ...]:
    return tuple(spec.compile(flags) for spec in specs)


FAMILY_RULES = tuple(spec for family in FAMILIES.values() for spec in family)
SPECS: tuple[RuleSpec, ...] = (*_INJECTION, *_DISCLOSURE, *_ROLE, *FAMILY_RULES)
RULES = _compile(SPECS, re.MULTILINE)
# Signals that alone (or with the model below its block level) flag but never block: the soft families
# and the generic persona / role-switch requests.
SOFT_SIGNALS = frozenset({spec.name for family in SOFT_FAMILIES for spec in family}
                         | {"persona_request", "role_switch"})
ROLE_TAG_RULES = _compile(_ROLE_TAGS, re.MULTILINE)
SQUASHED_RULES = _compile(_SQUASHED)
JOINED_RULES = _compile(_JOINED)
NATIVE_RULES = _compile(_NATIVE)
# Every rule's first words and prefilter keys, found in a text in one pass (anchors.Vocabulary).
VOCABULARY = Vocabulary([rule.anchor for rule in (*RULES, *ROLE_TAG_RULES, *SQUASHED_RULES, *JOINED_RULES,
                                                  *NATIVE_RULES)],
                        {key for rule in RULES + ROLE_TAG_RULES for key in rule.keys})
