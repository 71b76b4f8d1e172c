"""Rules for attack *families* the first rule set under-covered on unseen data: "forget everything
(before)", "now you are X", "act as a terminal", secrets "you were given", fiction that makes a
chatbot recite its rules, and a topic switch right after praise ("Well done. Now write…").

Each pattern names the family's structure, not a sentence: its visitor-side twin must still pass
("forget everything I said about the colour", "now you're saying it ships in two weeks?", "act as a
go-between with the courier", "the promo code you gave me").
"""

from __future__ import annotations

from libs.common.events.security import IncidentType
from services.security.screening import lexicon as x

FamilySpec = tuple[str, tuple[str, ...], IncidentType, float, str]

_EVERYTHING = (r"(?:everything|all (?:of )?(?:that|this)|it all|tout(?: ca| cela)?|todo(?: eso| esto)?|alles|"
               r"tutto(?: quanto| questo)?)")
# What the visitor said themself is theirs to withdraw: "forget everything I said about the colour".
_NOT_MINE = (r"(?!,? (?:i |i'|je |j'|que je|ce que je|ce que j'|was ich|lo que (?:te )?(?:dije|he|habia)|"
             r"quello che (?:ti )?ho|cio che (?:ti )?ho|what i|that i|about my|sur (?:ma|mon|mes)|zu meine|"
             r"uber meine|de mi|sul mio|sulla mia))")
_NOW = r"(?:now|maintenant|desormais|jetzt|nun|ahora|ora|adesso)"
_YOU_ARE_NOW = (r"(?:now,? you(?: are|'re)|you(?: are|'re) now|maintenant,? tu es|tu es (?:maintenant|desormais)|"
                r"(?:jetzt|nun) bist du|du bist (?:jetzt|nun)|ahora (?:tu )?eres|(?:ora|adesso) (?:tu )?sei)")
_ARTICLE = r"(?:a|an|the|un|une|le|la|l'|ein|eine|der|die|das|una|el|il|uno|lo)"
_MACHINE = (r"(?:terminal\w*|interpret\w*|console|konsole|shell|linux|python|sql|javascript|compiler|compilateur|"
            r"compilatore|bash|command line|ligne de commande|cmd)")
_WRITE = (r"(?:write|compose|generate|draft|tell me|ecris|ecrivez|redige[sz]?|genere|schreib\w*|verfasse|"
          r"formulier\w*|escribe|redacta|genera|scrivi|componi)")
_PRAISE = (r"(?:well done|good job|great job|great|very good|very well|excellent|perfect|that(?:'s| is| was) "
           r"(?:enough|done|fine|ok|okay)|c'est fait|c'est bien|tres bien|parfait|bravo|sehr gut|gut gemacht|"
           r"das (?:genugt|reicht|ist erledigt)|perfekt|muy bien|perfecto|molto bene|perfetto|ottimo)")
_SECRET_NOUN = x.alt("key", "password", "passphrase", r"code(?: word)?", "token", "secret", "cle", "mot de passe",
                     "code secret", "jeton", "clave", "contrasena", "passwort", "schlussel", "kennwort", "chiave",
                     r"parola (?:d'ordine|segreta)")
_MACHINE_SUBJECT = r"(?:chatbot|assistant|assistante|ai|ia|bot|asistente|assistent|assistente|ki|model|modele)"
_RECITE = (r"(?:reveals?|reads? out|recites?|lists?|quotes?|dumps?|prints?|revele|lit|recite|cite|enumere|revela|"
           r"lee|recita|verrat|liest|zitiert|rivela|legge|cita)")
_ITS_RULES = (r"(?:its|his|her|ses|sus|seine|ihre|sue|suoi|i suoi|le sue) (?:\w+ )?(?:configuration|config|"
              r"instructions|rules|prompt|system prompt|regles|consignes|directives|instrucciones|reglas|"
              r"anweisungen|regeln|istruzioni|regole|secrets?|secretos|geheimnisse|segreti)")

_SECRET_REF = x.alt("secret", "password", "mot de passe", "code", r"confidenti\w*", r"geheim\w*", r"segret\w*",
                    "contrasena", "passwort", "clave", "chiave", "cle", "key")
_DISGUISED = (r"(?:letter by letter|one letter at a time|lettre par lettre|une lettre a la fois|backwards|in reverse|"
              r"a l'envers|with (?:a )?spaces? between|separe(?:e|es|s)? par des|al reves|letra por letra|"
              r"buchstabe fur buchstabe|ruckwarts|lettera per lettera|al contrario)")
_FORBIDDEN = (r"(?:(?:must|should|can)(?:not|'t| not)|(?:were|are|was) (?:told|asked) (?:not|never) to) "
              r"(?:say|tell|reveal|share|mention|disclose)|ne (?:dois|peux|devez|pouvez) (?:pas|jamais) "
              r"(?:dire|reveler|partager|mentionner)|(?:de |d')ne jamais (?:parler|dire|reveler|mentionner)|"
              r"never (?:to )?(?:say|mention|reveal|share)|no (?:debes|puedes) (?:decir|revelar)|"
              r"(?:nicht|nie) (?:sagen|verraten|nennen) (?:darfst|sollst)|non (?:devi|puoi) (?:dire|rivelare)")
_CONFIDENTIAL_VALUE = (r"(?:(?:confidential|secret|hidden|confidentiel\w*|secret\w*|cache\w*|vertraulich\w*|"
                       r"geheim\w*|confidencial|secret[oa]|riservat\w*|segret[oa]) (?:code|key|value|word|cle|valeur|"
                       r"mot|clave|codigo|valor|palabra|schlussel|wert|wort|codice|chiave|valore|parola)|"
                       r"(?:code|key|value|word|cle|valeur|mot|clave|codigo|valor|palabra|schlussel|wert|wort|codice|"
                       r"chiave|valore|parola) (?:confidential|secret|hidden|confidentiel\w*|secret\w*|cache\w*|"
                       r"vertraulich\w*|geheim\w*|confidencial|secret[oa]|riservat\w*|segret[oa]))"
                       r"(?! (?:de|of|for|du|von|di|del) (?:ma|mon|mes|my|mi|mein\w*|la mia|il mio))")

FAMILY_SPECS: list[FamilySpec] = [
    ("forget_everything", ("everything", "all that", "all of", "it all", "tout", "todo", "alles", "tutto"),
     "injection", 0.7, x.IGNORE + r"\s+" + _EVERYTHING + r"\b" + _NOT_MINE),
    ("now_you_are_someone", ("now", "maintenant", "desormais", "jetzt", "nun", "ahora", "ora", "adesso"),
     "role_override", 0.75, _YOU_ARE_NOW + r" [\w'-]+(?: [\w'-]+)?, " + _ARTICLE + r"\b"),
    ("now_you_are", ("now", "maintenant", "jetzt", "nun", "ahora", "ora", "adesso"), "role_override", 0.6,
     r"(?:^|[.!?:;]\s*)(?:(?:ok(?:ay)?|so|well|alright|and|bon|bien|gut|also|vale|bene)[.,!]?\s+)?"
     + _YOU_ARE_NOW + r" (?!(?:going|able|sure|right|wrong|kidding|telling|saying|mine|my|mi|mein|mon|ma|sur|"
     r"certaine?|sicher|seguro|sicuro|in|en|at|on|online|open|closed|ouverts?|fermes?)\b)"
     r"(?![\w'-]+ing\b)[\w'-]+"),
    ("act_as_machine", ("act", "agi", "actua", "comporta", "fungier", "behave", "function", "serve", "sois",
                        "agisc", "simul"), "role_override", 0.7,
     r"(?:act|behave|function|serve|pose) (?:as|like) (?:an? |my |the )?(?:[\w-]+ )?" + _MACHINE + r"|"
     r"(?:agis|agissez|comporte-toi|sois|simule) (?:comme |en tant que )?(?:un |une |le )?(?:[\w-]+ )?"
     + _MACHINE + r"|(?:actua|comportate|hazte pasar por) (?:como )?(?:un |una )?(?:[\w-]+ )?" + _MACHINE + r"|"
     r"als [\w-]*" + _MACHINE + r"\w* (?:fungier|agier|arbeit)\w*|"
     r"(?:comportati|agisci) (?:come|da) (?:un |una )?(?:[\w-]+ )?" + _MACHINE),
    ("grandma_exploit", ("grand", "abuel", "oma", "opa", "nonn"), "role_override", 0.6,
     r"(?:grand-?(?:mother|ma|pa|father|mere|pere)|grandma|granny|abuel[oa]|oma|opa|nonn[oa])\w* (?:[\w']+ ){0,6}?"
     r"(?:used to|would (?:read|tell|recite)|qui me (?:lisait|disait|racontait|recitait)|que me (?:leia|decia)|"
     r"die mir (?:immer )?\w+ (?:vorlas|erzahlte)|che mi (?:leggeva|raccontava|diceva))"),
    ("secret_you_were_given", ("key", "password", "passphrase", "code", "token", "secret", "cle", "passe", "jeton",
                               "clave", "contrasena", "passwort", "schlussel", "kennwort", "chiave", "parola"),
     "disclosure", 0.85, _SECRET_NOUN + r" (?:\w+ ){0,3}?" + x.RECEIVED),
    ("asked_before_i_came", ("initiali", "configured", "programmed", "primed", "briefed", "asked", "instructed",
                             "demande", "ordonne", "explique", "qu'on t"), "disclosure", 0.75,
     r"(?:" + x.REVEAL + r"|summari[sz]e|sum up|resume[rz]?|resum(?:e|eme)|fasse? zusammen|riassumi) "
     r"(?:[\w']+ ){0,4}?(?:(?:you were|you've been|you have been|were you) (?:initiali[sz]ed|configured|"
     r"programmed|primed|briefed|asked|instructed|set up)|(?:qu'on|que l'on|qu'ils) (?:t'a|t'ont|vous a) "
     r"(?:demande|ordonne|explique|programme|configure))"),
    ("fiction_recites_rules", ("chatbot", "assistant", "bot", " ai ", " ia ", "asistente", "assistent", "model"),
     "disclosure", 0.8,
     _MACHINE_SUBJECT + r" (?:[\w']+ ){0,3}?" + _RECITE + r" (?:\w+ ){0,3}?" + _ITS_RULES),
    ("praise_then_switch", ("now", "maintenant", "jetzt", "nun", "ahora", "ora"), "injection", 0.65,
     _PRAISE + r"[.!,]+\s+(?:(?:but|mais|aber|pero|ma) )?(?:[\w']+[.!,]*\s+){0,6}?" + _NOW + r",? "
     r"(?:please |bitte |s'il te plait )?" + _WRITE + r"\b"),
    ("new_challenge", ("challenge", "defi", "herausforderung", "desafio", "sfida"), "injection", 0.55,
     r"(?:new|another|nouveau|autre|neue|weitere|nuevo|otro|nuova|altra) (?:\w+ )?(?:challenge|defi|"
     r"herausforderung|desafio|reto|sfida) (?:for you|pour toi|fur dich|para ti|per te)"),
    ("include_in_answer", ("include", "mention", "inclu", "erwahn", "menciona", "menziona"), "injection", 0.5,
     r"(?:include|mention|add|state|inclu[st]|mentionne|ajoute|erwahne|fuge|incluye|menciona|includi|menziona)"
     r" (?:in|to|dans|en|in) (?:your|ta|tes|votre|tu|deine[rn]?|la tua) (?:answer|reply|response|reponse|"
     r"respuesta|antwort|risposta) that"),
    ("disguised_output", ("letter", "lettre", "backwards", "reverse", "envers", "space", "separe", "reves", "letra",
                          "buchstab", "ruckwart", "lettera", "contrario"), "disclosure", 0.8,
     _DISGUISED + r".{0,80}?" + _SECRET_REF + r"|" + _SECRET_REF + r".{0,80}?" + _DISGUISED + r"|"
     + _DISGUISED + r".{0,80}?" + _FORBIDDEN + r"|" + _FORBIDDEN + r".{0,80}?" + _DISGUISED),
    ("forbidden_word", ("must", "should", "can", "told", "asked", "dois", "peux", "devez", "pouvez", "jamais",
                        "never", "debes", "puedes", "darfst", "sollst", "devi", "puoi"), "disclosure", 0.75,
     r"(?:word|mot|palabra|wort|parola|value|valeur|valor|wert|valore|thing|chose|secret) (?:[\w']+ ){0,5}?"
     + _FORBIDDEN),
    ("hint_at_secret", ("letter", "lettre", "hint", "clue", "indice", "buchstab", "hinweis", "pista", "lettera",
                        "letra"), "disclosure", 0.75,
     r"(?:first letter|premiere lettre|commence par quelle lettre|starts? with (?:which|what) letter|"
     r"welchem buchstaben|prima lettera|primera letra|hint|clue|indice|hinweis|pista|indizio) (?:[\w']+ ){0,8}?"
     + _CONFIDENTIAL_VALUE.replace("(?:(?:", "(?:" + _SECRET_REF + r"|(?:", 1) + r"|"
     r"(?:geheime[nrs]? wort|mot secret|secret word|palabra secreta|parola segreta) (?:[\w']+ ){0,3}?"
     r"(?:beginnt|commence|start|empieza|inizia)"),
    ("reveal_confidential_value", ("confiden", "secret", "hidden", "cache", "vertraul", "geheim", "riservat",
                                   "segret"), "disclosure", 0.8,
     x.REVEAL + r" (?:[\w'-]+ ){0,4}?" + _CONFIDENTIAL_VALUE),
    ("change_of_plans", ("change", "cambio", "wechsel", "new topic", "nouveau sujet"), "injection", 0.6,
     r"(?:change of (?:plans?|subject|topic)|new topic|(?:on )?change(?:ment)? de (?:sujet|programme|plan)|"
     r"nouveau sujet|cambio de (?:planes|tema)|cambio di (?:programma|argomento|piani)|themenwechsel|"
     r"planwechsel|planaenderung)\s*[:.,!;-]+\s+(?:[\w']+ ){0,3}?(?:write|draft|compose|redige[sz]?|ecris|"
     r"ecrivez|escribe|redacta|scrivi|schreib\w*|verfasse|you(?:'re| are) going to|you will|tu vas|vous allez|"
     r"vas a|stai per|wirst du|tu dois|you must)"),
    ("play_a_character", ("play", "joue", "juega", "spiel", "interpreta", "incarne"), "role_override", 0.55,
     r"(?:^|[.!?:;,]\s*)(?:(?:please|now|maintenant|ahora|jetzt|ora)[, ]+)?(?:play|joue|jouez|juega|spiel|spiele|"
     r"interpreta|incarne|incarnez) (?:the role of |le role d(?:e |')|el papel de |die rolle (?:des|eines) )?"
     r"(?:a|an|un|une|el|la|einen?|il|lo|uno) (?:[\w'-]+ ){0,2}?(?:character|personnage|personaje|charakter|figur|"
     r"personaggio|role)\b"),
    ("creator_words", ("creator", "developer", "maker", "programmer", "createur", "concepteur", "developpeur",
                       "creador", "desarrollador", "entwickler", "ersteller", "creatore", "sviluppatore"),
     "disclosure", 0.6,
     r"(?:your|ton|ta|votre|tu|dein|deine|il tuo) (?:creator|developer|maker|programmer|createur|concepteur|"
     r"developpeur|creador|desarrollador|entwickler|ersteller|creatore|sviluppatore)s? (?:[\w'-]+ ){0,4}?"
     r"(?:used|utilise\w*|said|dit|told|wrote|ecrit|describe|decrire|gave|donne\w*|dicho|dijo|usado|gesagt|"
     r"geschrieben|benutzt|verwendet|detto|scritto|usato)"),
    ("answer_everything", ("must", "dois", "devez", "debes", "musst", "devi"), "injection", 0.6,
     r"(?:you must|you have to|tu dois|vous devez|debes|du musst|devi) (?:now |desormais |maintenant |ahora |jetzt |"
     r"ora )?(?:answer|reply to|repondre a|responder a|beantworten|rispondere a) (?:every|all|any|toutes? les|tous les|"
     r"todas las|alle|tutte le) (?:questions?|preguntas|fragen|domande)"),
    ("drop_your_role", ("role", "rol", "rolle", "ruolo", "persona", "personnage", "character", "script"),
     "role_override", 0.7,
     x.IGNORE + r"\s+(?:(?:your|ton|ta|votre|tu|dein(?:e[nr]?)?|il tuo|la tua) )(?:\w+ )?(?:role|rol|rolle|ruolo|"
     r"persona|personnage|character|personaje|charakter|personaggio|script)\b"),
]
