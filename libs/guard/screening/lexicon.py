"""Multilingual vocabularies (FR, EN, ES, DE, IT) of prompt attacks, as regex alternations.

Everything is written against folded text (lower case, no accents: see normalise.fold). The rules in
rules.py combine these: a verb (ignore, reveal…) needs an object that names the assistant's own
instructions or secrets, which keeps customer phrasing such as "ignore ma dernière demande" clean.
"""

from __future__ import annotations


def alt(*words: str) -> str:
    return "(?:" + "|".join(words) + ")"


# The visitor's own instructions ("my", "mes", "meine") are no attack.
MINE = r"(?:my|mes|ma|mon|mis|mi|meine[nmrs]?|mie|miei|mia|mio|our|nos|notre|nuestras?)\b"
FILLER = r"(?:(?!" + MINE + r")[\w'-]+[\s,:]+){0,5}?"

IGNORE = alt(
    r"ignor(?:e[rsz]?|ing|ons|a|ar|iere?n?|iert?|are|ate)", "disregard(?:ing)?", r"forget(?:ting)?(?: about)?",
    r"oubli(?:e[rsz]?|ons)", "skip", "overrid(?:e|ing)", "bypass(?:ing)?", r"neglig(?:e[rsz]?|ez)", "drop",
    r"ne (?:tiens|tenez|tenons) (?:pas|plus) compte (?:de|des|du)", "fai(?:s|tes) abstraction (?:de|des|du)",
    r"pay no attention to", r"do not (?:follow|obey|respect)", r"don'?t (?:follow|obey|respect)",
    r"stop (?:following|obeying)", r"arrete[sz]? de (?:suivre|respecter|t'en tenir a)", r"deja de seguir",
    r"smetti di seguire", r"ne (?:suis|suivez|respecte[sz]?|tiens) plus", "passe[rz]? outre",
    r"laisse[rz]? tomber", r"olvid(?:a|e|ar|ad)", "omit(?:e|ir|a)", "descarta", "haz caso omiso (?:a|de)",
    r"no (?:sigas|obedezcas|respetes)", r"vergiss(?:t)?", r"vergessen sie", "missachte(?:n)?",
    r"dimentica(?:re)?", r"trascura(?:re)?", r"non (?:seguire|rispettare)", "abandon(?:ne[rz]?)?",
    r"contourne[rz]?", r"outrepasse[rz]?", r"throw away", "discard", "clear", "erase", "efface[rz]?",
    "remove", "leave", "lassen sie", "entferne",
)
INSTRUCTIONS = alt(
    "instructions?", "consignes?", r"r[eè]gles?", "rules", "directives?", "guidelines", "guidance", "directions",
    "prompts?", "programming", "programmation", r"(?:pre|system)[ -]?prompt", "constraints", "contraintes",
    "restrictions?", "instrucciones", "indicaciones", "directrices", "reglas", "anweisungen", "regeln",
    "vorgaben", "befehle", "richtlinien", "instruktionen", "istruzioni", "regole", "direttive",
    "indicazioni", "orders", "ordres", "commands", "training", "provided context", "context",
    r"(?:the |what's |what is |everything )?above", r"ce qui (?:precede|est au-dessus|est ecrit au-dessus)",
    r"(?:die |das )?obigen?(?: \w+)?", "lo anterior", "quanto sopra", "ausfuhrungen",
    "everything (?:above|before|you were told|i said before|that came before)",
    r"(?:tout )?ce (?:qui (?:precede|est au-dessus|a ete dit)|qu'on t'a (?:dit|donne|appris)|que l'on t'a dit)",
    r"(?:todo )?lo (?:anterior|que te (?:dijeron|han dicho))", r"was man dir gesagt hat",
    r"quello che ti hanno detto", r"(?:the )?guidance you (?:received|were given)",
    r"(?:whatever|what|everything|anything) (?:the shop|they|the owner|the developers?|someone|the admin|your \w+) "
    r"(?:told|taught|gave) you", r"alles(?:,)? (?:was(?! ich)|bisherige|vorherige|zuvor|oben)",
    r"tutto (?:quello che|cio che|quanto) (?:ti|e stato)", r"(?:all|any) (?:previous|prior) (?:text|context)",
    r"what (?:you were|you've been|you have been) told", "your (?:instructions|rules|programming|training|script)",
    r"(?:ton|votre|tu|dein(?:en)?|il tuo) script",
)
PREVIOUS = alt(
    "previous", "prior", "above", "earlier", "preceding", "initial", "original", "system", "all",
    r"precedent(?:e|es|s)?", r"anterieur(?:e|es|s)?", "ci-dessus", "initiales?", "d'origine", "toutes?",
    "tous", "anteriores", "previas", "todas", "vorherigen?", "bisherigen?", "vorangegangenen?", "alle[ns]?",
    "obigen?", "precedenti", "tutte", "le tue", "tes", "vos", "your", "tus", "deine[n]?", "ihre",
)
# Earlier context to be dropped: "all previous tasks", "toutes les informations précédentes".
PREVIOUS_CONTEXT = (
    alt("previous", "prior", "earlier", "preceding", r"precedent\w*", r"anterieur\w*", r"anterior\w*",
        r"vorherige\w*", r"vorangegangene\w*", r"bisherige\w*", r"precedent\w*")
    + r"\s+" + alt(r"tasks?", "information", r"conversations?", r"contexts?", "aufgaben", "informationen",
                   r"taches", "informations", r"contextes?", "tareas", "compiti", "informazioni", "anweisungen")
)
REVEAL = alt(
    "show", "reveal", "print", "display", "output", "repeat", "tell me", "give me", "share", "leak",
    "dump", r"write (?:out|down)?", "spell out", "recite", "paste", "expose", "send me", "list",
    r"what (?:is|are|were|was)", "what's", r"montre[rz]?(?:-moi)?", r"affiche[rz]?", r"revele[rz]?",
    r"donne[rz]?(?:-moi)?", r"repete[rz]?", "dis-moi", "dites-moi", r"ecri(?:[st]|vez)(?:-moi)?",
    r"imprime[rz]?", r"communique[rz]?", r"partage[rz]?", r"quel(?:le)?s? (?:est|sont|etaient|etait)",
    "recopie[rz]?", r"muestra(?:me)?", r"revela\w*", "dime", "dame", "repite", "imprime", "escribe",
    r"cual(?:es)? (?:es|son)", r"zeig(?:e|en sie)?(?: mir)?", r"gib(?: mir)?", r"verrate(?: mir)?", "nenne",
    "wiederhole", "schreib", r"was (?:ist|sind|steht in)", r"mostra(?:mi)?", r"rivela\w*", "dimmi", "dammi",
    "ripeti", "stampa", "scrivi", r"qual(?:e|i)? (?:e|sono)",
) + r"(?:-(?:moi|nous|me|mir|les|le|la))?"
YOURS = alt("your", "tes", "ton", "ta", "vos", "votre", "tu", "tus", "dein(?:e[nmrs]?)?", "ihre?[nmrs]?",
            "il tuo", "la tua", "le tue", "i tuoi")
YOUR = alt("your", "the", "tes", "ton", "ta", "vos", "votre", "le", "la", "les", "tu", "tus", "el", "los",
           "dein(?:e[nmrs]?)?", "ihre?[nmrs]?", "die", "den", "das", "il tuo", "la tua", "le tue", "i tuoi",
           "il", "lo")
HIDDEN_PROMPT = alt(
    # "what system prompts the checkout to ask…": "prompts" as a verb is no hidden prompt
    r"(?:system|initial|original|hidden|secret|internal|pre)[ -]?(?:prompt|message|instructions?)"
    r"(?!s (?:the|me|us|you|for|to|customers?|users?)\b)(?! (?:me|us)\b)",
    r"prompt (?:systeme|initial|d'origine|cache|interne)", r"message systeme", r"(?:invite|consigne) systeme",
    r"instructions? (?:initiales?|cachees?|secretes?|systeme|internes?|d'origine|originales?|de depart)",
    r"consignes (?:initiales|cachees|secretes|systeme|internes)", r"prompt (?:del )?sistema",
    r"instrucciones (?:iniciales|ocultas|del sistema|originales|secretas)", "systemprompt",
    r"system-?anweisungen", r"(?:ursprunglichen?|versteckten?|geheimen?) (?:anweisungen|prompt)",
    r"istruzioni (?:iniziali|nascoste|di sistema|originali|segrete)", r"prompt (?:di sistema|iniziale)",
    r"(?:text|texte|texto|testo) (?:above|ci-dessus|de dessus|anterior|oben|oberhalb|sopra|precedent)",
    r"(?:text|texte|texto|testo) (?:au-dessus|oberhalb|(?:por )?encima|al di sopra|above) (?:de |di |von )?"
    r"(?:this|ce|cette|mon|ma|diese[rmn]?|meine[rmn]?|este|mi|questo|il mio) (?:message|nachricht|mensaje|messaggio)",
    r"(?:everything|all) (?:above|before this)(?: line)?", r"tout ce qui (?:precede|est au-dessus)",
    r"context window", r"fenetre de contexte", r"ventana de contexto", r"kontextfenster", r"finestra di contesto",
    r"(?:setup|set-up|startup|start-up|boot|initiali[sz]ation) (?:instructions|prompt|message)",
    r"instructions (?:de demarrage|d'initialisation|de configuration)",
    r"(?:first|premiere?s?) (?:\d+ )?(?:lines|lignes|words|mots|message) (?:of|de) (?:your|ton|votre|this|ce)",
)
INSTRUCTION_WORDS = alt(
    "instructions?", "consignes?", "regles", "rules", "text", "texte", "prompt", "settings", "directives?",
    "directions", "guidelines", "orders",
    "ordres", "prompt", "instrucciones", "reglas", "indicaciones", "anweisungen", "regeln", "vorgaben",
    "istruzioni", "regole", "indicazioni", "configuration", "configuracion", "konfiguration", "configurazione",
)
# Questions about what the assistant was told: "the rules you were given", "les consignes que tu as reçues".
RECEIVED = alt(
    r"(?:that |which )?(?:you (?:were|have been|'ve been) (?:given|configured with|programmed with|told)|"
    r"were you given|you (?:received|got)|did you (?:receive|get)|(?:\w+ ){0,3}(?:give|gave) you|"
    r"(?:you were|you are) (?:configured|programmed|set up) with)",
    r"(?:\w+ ){0,3}t'(?:ont|a) (?:donne|donnees|fourni|fournies|programme)",
    r"dont tu (?:as ete|es) (?:configure|programme)",
    r"(?:qu'on t'a|que l'on t'a|qu'on vous a) (?:donnees?|donne|fournies|transmises|dit)",
    r"(?:que|qu') (?:tu as|vous avez) recues?", r"as-tu recues?", r"avez-vous recues?", r"t'a-t-on donnees?",
    r"(?:que )?(?:te dieron|recibiste|te han dado)",
    r"(?:die )?(?:du bekommen hast|man dir gegeben hat|hast du bekommen)",
    r"(?:che )?(?:ti hanno dato|hai ricevuto)",
)
HIDDEN_CONFIG = alt(
    r"(?:confidential|internal|hidden|secret|private) (?:rules|instructions|configuration|config|settings|data|prompt)",
    r"(?:configuration|config|parametres|regles|consignes|instructions|donnees) (?:internes?|confidentiel\w*|cache\w*|"
    r"secret\w*)", r"configuracion (?:interna|secreta)", r"(?:interne|geheime|versteckte) (?:konfiguration|regeln)",
    r"configurazione (?:interna|segreta)",
)
STRONG_REVEAL = alt("reveal", "leak", "dump", "disclose", "expose", r"revele[rz]?", r"divulgue[rz]?", r"revela\w*",
                    "verrate", r"rivela\w*", "divulga")
WRITTEN_ABOVE = alt(
    r"what (?:was|is) written (?:above|at the (?:beginning|start|top)|before)",
    r"(?:qu'est-ce qui|ce qui) (?:est|etait) ecrit (?:au-dessus|au debut|plus haut|avant)",
    r"was (?:steht|stand|wurde) (?:oben|am anfang|zu beginn|davor)(?: geschrieben)?",
    r"(?:que|lo que) (?:esta|estaba) escrito (?:arriba|al principio)",
    r"(?:cosa|quello che) (?:c'e|c'era|e|era) scritto (?:sopra|all'inizio)",
)
SECRET = alt(
    r"(?:api|secret|private|access|admin) ?keys?", r"cles? (?:api|secretes?|privees?|d'acces)", "mot de passe",
    "passwords?", r"pass ?phrase", "phrase de passe", "credentials", "identifiants",
    r"(?:access|auth|bearer|api) tokens?",
    r"jetons? d'acces", r"tokens? (?:d'acces|d'api|api|secrets?)", r"env(?:ironment)? var(?:iable)?s?",
    r"variables? d'environnement", r"\.env(?: file)?",
    r"fichier \.env", r"database[_ ]url", r"connection strings?", r"chaines? de connexion", r"clave (?:secreta|api)",
    "contrasena", "passwort", r"(?:geheime[rn]?|api)[- ]?schlussel", "zugangsdaten", r"chiav[ei] (?:segret[ae]|api)",
    "parola d'ordine", "stripe key", "webhook secret", r"service[_ ]role", r"secret (?:word|code|key)",
    "mot secret", "code secret", "palabra secreta", "geheimwort", "parola segreta", "senha", "wachtwoord",
    r"[a-z0-9]+(?:_[a-z0-9]+)*_(?:secret|key|token|password|passwd|dsn)(?:_[a-z0-9]+)*",
    r"(?:cles?|key|clave|schlussel|chiave) (?:\w+ )?(?:stripe|openai|wix|aws|api|secretes?|privees?|d'acces|admin|"
    r"du serveur)", r"(?:stripe|openai|wix|aws|mistral) (?:\w+ )?(?:keys?|secret|tokens?)",
    "パスワード", "пароль",
)
# a shop's wifi password is a visitor's question ("guest wifi password", "password del wifi", "WLAN-Passwort")
NOT_WIFI = r"(?<!wifi )(?<!wi-fi )(?<!wlan )(?<!wlan-)(?<!wifi-)(?<!guest )(?<!invite )"
NO_WIFI_AFTER = (r"(?! (?:du |de la |de |del |des |for the |for |of the |of |to the |dello |della |for your |de votre |"
                 r"de vuestra |de la tienda |du magasin )?(?:guest |invite )?(?:wifi|wi-fi|wlan|reseau|network|red)\b)")
# the customer asking the assistant to play a shop role (stylist, adviser, sales assistant, a customer)
SHOP_PERSONA = (r"(?:de |d'|of |as |like |a |an |my |un |une |mon |ma |mi |mein\w* |il mio |la mia |the |le |la |l')"
                r"{1,2}(?:\w+ )?(?:client\w*|customer|shopper|buyer|acheteu\w+|vendeu\w+|sales\w*|shop assistant|"
                r"styliste?|stylist|conseill\w+|advis[oe]r|consultant\w*|decorat\w+|designer|coach|personal shopper|"
                r"seller|pere noel|santa|lutin|elf|consulente|asesor\w*|berater\w*|verkaufer\w*|commess\w+|"
                r"dependient\w*|kunde|cliente)\b")
ROLE_SWITCH = alt(
    r"(?:you are now|you're now|now you are) (?:a|an|the|my|in|free|no longer|dan|unrestricted|\w+gpt|\w+bot)\b",
    r"from now on,? you (?:are|will be|will act)",
    r"you are no longer", r"you're no longer", r"role-?play as(?! " + SHOP_PERSONA + r")",
    r"pretend (?:to be|you are|you're) (?!" + SHOP_PERSONA + r")(?:a|an|the|my|in|dan|evil|unrestricted|free|not|"
    r"no longer|\w+gpt)\b",
    r"stop being (?:a|an|the|my) (?:\w+ )?(?:assistant|bot|chatbot|ai)",
    r"arrete d'etre (?:un|une) (?:\w+ )?(?:assistant|bot|ia)",
    r"(?:answer|respond|reply|act|behave) as if you (?:were|are|had)", r"(?:reponds|agis) comme si tu (?:etais|avais)",
    r"from (?:this point|here) (?:on|forward)(?:,)? (?:you|answer|respond|reply)",
    r"simule[rz]? (?:une?|l') (?:ia|ai|assistant|bot)", r"simulate (?:an?|the) (?:ai|assistant|bot|model)",
    r"(?:switch|change|new) persona", r"(?:reponds|answer|respond|reply|act|parle) (?:en tant que|as|comme) "
    r"(?:dan|\w+gpt|evil\w*|an? (?:unrestricted|unfiltered|uncensored))\b", r"role-?play(?:ing)? (?:time|game)",
    r"(?:change|nouvelle) (?:de )?personnalite", r"act like an? (?:terminal|linux|shell|"
    r"hacker|evil|unfiltered|jailbroken)", r"(?:agis|comporte-toi) comme (?:un|une) (?:terminal|hacker|pirate)",
    r"imagine you are", "you will now act",
    r"(?:tu es|vous etes) (?:maintenant|desormais|a present|dorenavant) (?:un|une|le|la|l'|en mode|libre|sans|"
    r"dan|\w+gpt|\w+bot)\b", r"(?:maintenant|desormais),? tu es (?:un|une|le|la|l'|libre|dan)\b",
    r"fai(?:s|tes) (?:semblant|comme si) (?:d'etre|que tu es|tu etais)(?! " + SHOP_PERSONA + r")",
    r"(?<!je )jouez? le role(?! " + SHOP_PERSONA + r")",
    r"imagine[rz]? que (?:tu es|vous etes)", r"comporte-toi comme", r"tu n'es plus", r"incarne[rz]? ",
    r"a partir de maintenant,? (?:tu|vous) (?:es|etes|vas|allez|dois|devez)",
    r"ahora (?:tu )?eres(?! (?:mi|mis|nuestr\w*) )",
    r"a partir de ahora(?:,)? (?:eres|seras|vas a)", r"finge (?:ser|que eres)", r"ya no eres",
    r"du bist (?:jetzt|nun|ab sofort|ab jetzt)",
    r"(?:ab jetzt|ab sofort|jetzt|nun) bist du (?:ein|eine|der|die|das|mein|frei|dan)\b",
    r"tu so,? als (?:ob|warst)", r"spiel(?:e)? die rolle", r"du bist kein", r"stell dir vor,? du bist",
    r"(?:ora|adesso) (?:tu )?sei(?! (?:il mio|la mia|il nostro|la nostra) )",
    r"d'ora in poi (?:sei|sarai)", r"fingi di essere", r"interpreta il ruolo",
    r"non sei piu",
)
# Persona requests are common from customers too ("act as my personal shopper"): weak on their own.
PERSONA = alt(
    "act as", r"i want you to act", r"behave (?:like|as)", r"agi(?:s|ssez) (?:comme|en tant que)",
    r"je veux que (?:tu agisses|vous agissiez)", r"actua como", r"quiero que actues", r"comportate como",
    r"verhalte dich (?:wie|als)", r"als \w+(?:-\w+)? fungieren", r"comportati come", r"agisci come",
    r"voglio che tu agisca",
)
NO_LIMITS = alt(
    r"(?<!\w)(?:no|without|sans|plus de|aucune?|sin|keine|ohne|senza|non hai piu|no tienes|n'as plus|n'a plus|"
    r"not bound by|no longer bound by|plus tenu par|libre de) (?:\w+ )?(?:limitations?|limits?|limites?|rules?|regles?|"
    r"restrictions?|reglas?|regeln?|regol[ae]|restricciones|einschrankungen|restrizioni|filters?|filtres?|polic(?:y|"
    r"ies)|"
    r"politiques?)",
    r"without (?:any )?(?:restrictions?|filters?|censorship|limits?|limitations|rules|ethics|guidelines)",
    r"(?:no|zero) (?:restrictions|filters|censorship|limits|rules|ethics|guidelines)",
    r"sans (?:aucune? )?(?:restrictions?|filtres?|censure|limites?|regles?|ethique|garde-fous?)",
    r"sin (?:ninguna |restricciones|filtros|censura|limites|reglas)",
    r"ohne (?:einschrankungen|filter|zensur|regeln|grenzen)", r"senza (?:restrizioni|filtri|censura|limiti|regole)",
    "unfiltered", "uncensored", "unrestricted", "non filtre", "non censure", "sin censura", "ungefiltert",
    "unzensiert", "senza censura",
)
MODE = alt(
    # a device's developer mode ("does the camera have a developer mode?") is a customer question
    r"(?<!have a )(?<!has a )(?<!with a )(?<!avec un )(?<!a-t-il un )(?<!y a un )"
    r"developer mode(?! (?:on|of|for|in|sur|de) (?:the|my|this|a|ma|mon|la|le) )(?! or a )",
    r"dev mode", "god mode", r"admin(?:istrator)? mode", r"debug mode", "maintenance mode",
    r"jailbre(?:ak|aked|aking)", r"do anything now",
    r"mode (?:developpeur|admin|administrateur|debug|dieu|sans restriction|sans filtre|maintenance)",
    r"modo (?:desarrollador|dios|administrador|sin restricciones|sviluppatore|amministratore)",
    r"entwicklermodus", r"(?:admin|debug|gott)-?modus", r"modalita (?:sviluppatore|amministratore|debug|dio)",
    r"evil (?:mode|bot|assistant|confidant)", r"stan mode", "anti-?dan", r"mode systeme active",
)
_SITE = r"(?:site|shop|store|boutique|bot|chatbot|assistant|ai|ia|system|systeme|application|app)"
AUTHORITY = alt(
    r"i am your (?:developer|admin|administrator|creator|programmer|operator)",
    r"i'm your (?:developer|admin|administrator|creator|programmer|operator)",
    r"i(?: am|'m) the (?:developer|admin|administrator|creator|programmer|operator) (?:of|for) (?:this|the|your) "
    + _SITE + r"(?! (?:of|for|at) (?:our|my|a|the company|the school)\b)",
    r"this is (?:your|the) (?:developer|admin|administrator|system|creator|operator)",
    r"as your (?:developer|admin|administrator|creator|operator|owner)",
    r"en tant que (?:ton|votre) (?:developpeur|createur|administrateur|admin|proprietaire)",
    r"como tu (?:desarrollador|administrador|creador)", r"als dein (?:entwickler|administrator|admin|ersteller)",
    r"come (?:il )?tuo (?:sviluppatore|amministratore|creatore)",
    r"i (?:hereby )?authori[sz]e you to", r"je t'autorise a", r"te autorizo a", r"ich erlaube dir", r"ti autorizzo a",
    r"(?:instruction|order|command|message) from (?:the |your )?(?:admin\w*|developers?|owner|operator)",
    r"(?:ordre|instruction|consigne) (?:de l'|du |de la )(?:administrat\w+|admin|developpeur|proprietaire)",
    r"(?:orden|instruccion) del (?:administrador|desarrollador)",
    r"(?:anweisung|befehl) (?:vom|des) (?:admin\w*|entwickler)",
    r"(?:ordine|istruzione) (?:dell'|del )(?:amministratore|sviluppatore)",
    r"je suis (?:ton|votre) (?:developpeur|createur|administrateur|admin|concepteur|programmeur)",
    r"je suis (?:le |l')(?:developpeur|createur|administrateur|admin|concepteur) (?:du|de ce|de cette|de l'|de la) "
    + _SITE + r"(?! (?:web )?(?:de|d'|pour) (?:notre|nos|mon|ma|mes|la societe|l'association|l'entreprise|"
    r"l'ecole|une?)\b)",
    r"soy (?:tu|el) (?:desarrollador|administrador|creador|programador)",
    r"ich bin (?:dein|der|ihr) (?:entwickler|administrator|admin|ersteller|programmierer)",
    r"sono (?:il tuo|lo|l') ?(?:sviluppatore|amministratore|creatore|programmatore)",
    r"(?:admin|administrator|root|sudo) (?:override|access|command|privileges)", r"\bsudo\b",
    r"message (?:from|de la part de|de) (?:the|l') ?(?:admin|administrat\w+|system|systeme|developer|developpeur)",
)
CONTACTS = alt(
    r"e-?mails?(?: address(?:es)?)?", r"e-?mail-adressen", r"adresses?(?: e-?mail)?", "addresses", "address",
    r"phone numbers?", r"telephones?", r"numeros?(?: de telephone)?", "coordonnees", "contact details", "noms",
    "names", "correos", "direcciones", "telefonos", "adressen", "telefonnummern", "indirizzi", "nomi",
)
LAST_BUYER = (r"(?:the |le |la |du |de la |el |der |il )?(?:last|previous|other|dernier|derniere|precedent\w*|autre|"
              r"ultimo|anterior|letzten?|vorherigen?|ultim[oa]) (?:person|customer|client|buyer|acheteur|personne|"
              r"visitor|visiteur|cliente|kunden?|persona|acquirente)s?")
CUSTOMERS = alt(r"customers?", r"clients?", "clientes", "kunden", r"shoppers?", r"buyers?", r"acheteurs?",
r"users?", "utilisateurs", "usuarios",
                "benutzer", "utenti", r"visitors?", r"visiteurs?")
PERSONAL_DATA = alt(
    "data", r"e-?mails?(?: addresses)?", "addresses", r"adresses(?: e-?mail)?", r"orders?", r"commandes?", "phone",
    r"telephones?", "donnees", "informations", "details", "datos", "pedidos", "daten", "bestellungen", "dati",
    "ordini", "numbers", "numeros", "names", "noms", "card numbers",
)
OTHERS = alt("other", "all", "every", r"autres?", "tous les", "toutes les", "otros", "todos los", r"anderen?",
             r"alle[rn]?", "altri", "tutti i", "previous", "last", "another", "dernier", r"precedent\w*")
