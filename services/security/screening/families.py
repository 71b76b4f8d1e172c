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
# One group: concatenated after a noun, an ungrouped alternation let "never say…" match on its own.
_FORBIDDEN = (r"(?:(?:(?:must|should|can)(?:not|'t| not)|(?:were|are|was) (?:told|asked) (?:not|never) to) "
              r"(?:say|tell|reveal|share|mention|disclose)|ne (?:dois|peux|devez|pouvez) (?:pas|jamais) "
              r"(?:dire|reveler|partager|mentionner)|(?:de |d')ne jamais (?:parler|dire|reveler|mentionner)|"
              r"never (?:to )?(?:say|mention|reveal|share)|no (?:debes|puedes) (?:decir|revelar)|"
              r"(?:nicht|nie) (?:sagen|verraten|nennen) (?:darfst|sollst)|non (?:devi|puoi) (?:dire|rivelare))")
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

# ---------------------------------------------------------------------------------------------------
# Round 10 families: indirect injection (a note planted for the AI in a pasted document), answers asked
# in another language so that "the rules don't apply", translate / decode then execute, split payloads,
# refusal suppression, hypothetical or fiction framing around the assistant's own rules or secrets,
# fake tool output, what the assistant was told before the conversation, forced statements.
# Each family's customer twin must pass: "answer in English, it's for my husband", "translate the
# manual and send it to me", "imagine I order three pairs", "note for the courier: leave it next door".
# ---------------------------------------------------------------------------------------------------

_LANGUAGE = (r"(?:english|french|german|spanish|italian|chinese|russian|japanese|portuguese|arabic|dutch|polish|"
             r"anglais|francais|allemand|espagnol|italien|chinois|russe|japonais|portugais|arabe|neerlandais|"
             r"polonais|ingles|frances|aleman|espanol|italiano|chino|ruso|englisch|franzosisch|deutsch|spanisch|"
             r"italienisch|chinesisch|russisch|inglese|francese|tedesco|spagnolo|cinese|russo|another language|"
             r"une autre langue|otro idioma|einer anderen sprache|un'altra lingua)")
_ANSWER_IN = (r"(?:(?:answer|respond|reply|write|speak|continue|reponds|repondez|reponde|ecris|parle|passe en|"
              r"continue|responde|contesta|escribe|habla|antworte|schreib\w*|sprich|rispondi|scrivi|parla)"
              r"(?: \w+){0,2}? (?:in|en|auf|in) " + _LANGUAGE + r"|(?:switch(?:ing)? to|passe (?:en|a|au)|cambia al?|"
              r"wechsle (?:zu|auf|ins)|passa (?:a|al|all'))\s+" + _LANGUAGE + r")")
_RULES_OFF = (r"(?:rules?|regles?|restrictions?|filters?|filtres?|polic(?:y|ies)|politique|guidelines|consignes|"
              r"reglas|restricciones|regeln|filter|richtlinien|regole|restrizioni)\s+(?:\w+\s+){0,3}?"
              r"(?:only (?:apply|cover|work)|don'?t apply|do not apply|no longer apply|(?:ne )?s'appliquent "
              r"(?:qu'|seulement|uniquement|plus)|ne s'appliquent (?:pas|plus)|ne valent (?:pas|plus|qu')|"
              r"solo (?:se )?aplican|no (?:se )?aplican|gelten nur|gelten nicht|valgono solo|non valgono|"
              r"n'ont plus (?:cours|d'effet))|(?:tu n'as plus|you no longer have|you don't have) (?:a|to) "
              r"(?:suivre|respecter|follow|obey)")
_HIDDEN_OBJECT = (r"(?:password|passphrase|mot de passe|secret|system prompt|prompt|hidden instructions|"
                  r"instructions cachees|consignes|api key|cle api|contrasena|passwort|systemprompt|"
                  r"parola segreta|chiave api)")
_EXECUTE = (r"(?:execute|obey|follow|comply|apply|perform|run|carry (?:it|them) out|do (?:it|that|this|what it says|"
            r"as it says)|executes?|execute[rz]?|obeis|obei[rs]|suis(?:-la|-le)?|applique(?:-la|-le|[rz])?|"
            r"fais(?:-le| ce qu'(?:il|elle) dit)|ejecuta(?:lo|la)?|obedece|haz lo que|sigue(?:lo|la)?|"
            r"fuhre (?:es|sie|ihn) aus|befolge|esegui(?:lo|la)?|obbedisci|segui(?:lo|la)?|fai quello che)")
_DECODE = (r"(?:decode|decrypt|decipher|decoder|decode[rz]?|dechiffre[rz]?|decodifica|descifra|entschlussel\w*|"
           r"dekodier\w*|decifra|read (?:it|this|that) backwards|lis (?:la|le|cette phrase|ceci|ce texte)? ?a l'envers|"
           r"reverse (?:it|this|the text)|rot ?-?13)")
_FRAMING = (r"(?:imagine|imaginons|imaginez|hypothetical\w*|hypothetiquement|hypothetique|suppose|supposons|"
            r"let'?s pretend|pretend (?:that|there)|in a (?:world|story|novel|fiction|scenario|parallel universe)|"
            r"dans (?:un monde|une histoire|un roman|un scenario|une fiction|un univers)|pour (?:un|mon) roman|"
            r"for (?:a|my) (?:novel|story|screenplay|book)|in (?:my|a) (?:novel|story|screenplay)|"
            r"imagina|hipotetic\w*|en (?:una historia|un mundo|una novela)|stell dir vor|hypothetisch|"
            r"in einer (?:geschichte|welt)|immagina|ipotetic\w*|in (?:una storia|un mondo|un romanzo))")
_OWN_RULES = (r"(?:(?:your|ton|ta|tes|vos|votre|its|his|her|ses|son|sa|tus|tu|su|sus|deine[nmrs]?|seine[nmrs]?|"
               r"ihre[nmrs]?|i tuoi|le tue|il tuo|la tua|i suoi|le sue|the real|the actual|les vraies|le vrai|"
               r"the hidden|the secret)\s+(?:\w+\s+)?(?:system prompt|prompt|instructions|consignes|configuration|"
               r"rules|regles|directives|secret|password|mot de passe|instrucciones|reglas|anweisungen|regeln|"
               r"istruzioni|regole|contrasena|passwort)|(?:no|without|aucune?|sans|sin|keine|ohne|senza|nessuna) "
               r"(?:\w+ )?(?:rules|restrictions|limits|filters|regles|restrictions|limites|filtres|reglas|"
               r"restricciones|limites|regeln|grenzen|einschrankungen|regole|limiti|restrizioni))")
_AI = r"(?:ai|ia|assistant|assistante|llm|model|modele|chatbot|bot|gpt|ki|asistente|assistent|assistente|agent)s?"

ROUND10_SPECS: list[FamilySpec] = [
    ("note_to_the_ai", ("ai", "ia", "assistant", "llm", "model", "bot", "gpt", "ki", "asistente", "assistent",
                        "agent"), "injection", 0.7,
     r"(?:note|notice|message|instructions?|important|attention|warning|p\.?s\.?|nb|hinweis|nota|avis|consigne)"
     r"\s*(?:\w+\s+)?(?:to|for|pour|a|aux?|para|an|fur|per|al|alla)\s+(?:the |l'|any |all |le |la |el |den |die "
     r"|l')?(?:\w+ )?" + _AI + r"\b|"
     + _AI + r" (?:reading|qui (?:lit|lira)|lisant|that (?:reads|is reading)|who reads|que lee|die das liest|"
     r"der das liest|che legge) (?:this|these|ce|cet|cette|ces|esto|este|dies\w*|questo|questa)"),
    ("language_switch_bypass", ("english", "french", "german", "spanish", "italian", "anglais", "francais",
                                "allemand", "espagnol", "italien", "ingles", "aleman", "englisch", "deutsch",
                                "inglese", "tedesco", "language", "langue", "idioma", "sprache", "lingua",
                                "chin", "russ"), "injection", 0.65,
     _ANSWER_IN + r".{0,120}?" + _RULES_OFF + "|" + _RULES_OFF + r".{0,120}?" + _ANSWER_IN + "|"
     + _ANSWER_IN + r"(?: \w+){0,3}? (?:so that|so|pour que|afin que|para que|damit|cosi che|because|car|parce que|"
     r"porque|weil|perche) (?:\w+ ){0,6}?(?:rules|regles|filter|filtre|restriction|reglas|regeln|regole)\w*|"
     + _ANSWER_IN + r"[^.?!]{0,60}?[:,;-]\s*(?:\w+ ){0,4}?(?:what|quel(?:le)?|cual|was|qual)[\w']* (?:\w+ ){0,3}?"
     + _HIDDEN_OBJECT),
    ("translate_then_execute", ("translat", "tradu", "ubersetz"), "injection", 0.7,
     r"(?:translate|traduis|traduisez|traduire|traduce|traduzca|ubersetze|ubersetzen|traduci)\w*\b.{0,160}?"
     r"(?:then|and then|and|puis|et ensuite|et|ensuite|y luego|y despues|y|und dann|dann|und|e poi|poi|e)\s+"
     + _EXECUTE + r"\b"),
    ("decode_then_execute", ("decod", "decrypt", "deciph", "dechiff", "descifr", "entschl", "dekod", "decifr",
                             "backwards", "envers", "reverse", "rot"), "injection", 0.75,
     _DECODE + r"\b.{0,160}?(?:then|and|puis|et|ensuite|y|und|dann|e|poi|,|:)\s+" + _EXECUTE + r"\b|"
     + _EXECUTE + r"\s+(?:\w+\s+){0,4}?(?:once |after |apres l'avoir |une fois )?(?:decoded|decode|dechiffre|"
     r"decodificad\w*|entschlusselt|decodificat\w*)"),
    ("payload_split", ("=",), "injection", 0.7,
     r"(?:\b\w{1,12}\s*=\s*[\"'«“‘][^\"'»”’]{1,60}[\"'»”’][\s,;.]*(?:(?:and|et|y|und|e|let|soit|sea|sei)\s+)?){2,}"
     r".{0,120}?(?:\b\w{1,12}\s*\+\s*\w{1,12}\b|concat\w*|combine\w*|join\w*|assemble\w*|fusionne\w*|"
     r"junta\w*|zusammen\w*|unisci)"),
    ("concatenate_secret", ("concat", "combin", "assembl", "join", "colle"), "disclosure", 0.6,
     r"(?:concat\w*|combine\w*|assemble\w*|join|colle)\s+.{0,60}?(?:mot de|password|pass|secret|prompt|"
     r"cle|key|contrasena|passwort)"),
    ("refusal_suppression", ("never", "jamais", "nunca", "niemals", "mai", "refus", "rechaz", "ableh", "rifiut",
                             "allowed", "droit", "disclaimer", "apolog", "excuse"), "injection", 0.6,
     r"(?:never|don'?t ever|do not ever|must not|you can'?t|you cannot) (?:say|tell me|answer|reply|respond|write)"
     r"(?: that| with)? (?:you (?:can'?t|cannot|are unable|won'?t)|i (?:can'?t|cannot)|sorry|no\b|that you)|"
     r"(?:you are not|you're not|you aren'?t) (?:allowed|permitted) to (?:refuse|decline|say no|apologi[sz]e)|"
     r"(?:never|don'?t|do not) (?:refuse|decline|apologi[sz]e)|without (?:any )?(?:refus\w*|disclaimers?|"
     r"warnings?|apolog\w*)|"
     r"ne (?:dis|dites|reponds|repondez) jamais (?:\W*)(?:que )?(?:tu ne peux pas|vous ne pouvez pas|je ne peux pas|"
     r"non|desole)|(?:tu n'as|vous n'avez) pas le droit de (?:refuser|dire non|t'excuser)|"
     r"(?:interdit|defense) de (?:refuser|dire non)|ne refuse(?:z)? (?:jamais|rien)|sans (?:jamais )?refuser|"
     r"nunca digas que no|no (?:puedes|debes) negarte|nunca te niegues|sag niemals,? dass du|"
     r"du darfst nicht ablehnen|lehne niemals ab|non dire mai (?:che )?non|non (?:puoi|devi) rifiutar\w*|"
     r"non rifiutare mai"),
    ("hypothetical_own_rules", ("imagin", "hypoth", "suppos", "pretend", "world", "story", "novel", "fiction",
                                "scenario", "monde", "histoire", "roman", "univers", "hipot", "historia", "mundo",
                                "novela", "stell dir", "geschichte", "welt", "ipot", "storia", "mondo", "romanzo",
                                "screenplay", "book"),
     "disclosure", 0.55, _FRAMING + r".{0,160}?" + _OWN_RULES),
    ("fake_tool_output", ("tool", "function", "plugin", "api", "outil", "fonction", "herramienta", "werkzeug",
                          "strumento", "resultat", "result", "output"), "injection", 0.7,
     r"(?:tool|function|plugin|api|outil|fonction|herramienta|funcion|werkzeug|funktion|strumento|funzione)"
     r"(?:[\s_]\w+){0,2}?\s*(?:output|result|response|resultat|reponse|resultado|respuesta|ergebnis|antwort|"
     r"risultato|risposta)\b(?:\s*\([^)]{0,40}\))?\s*[:=({\[].{0,200}?(?:instruction|consigne|l'assistant doit|"
     r"the assistant (?:must|should)|"
     r"the model (?:must|should)|for the (?:model|assistant|ai)|pour (?:l'assistant|l'ia|le modele)|ignore|"
     r"system (?:prompt|message)|message systeme|prompt systeme)"),
    ("told_before_conversation", ("before", "avant", "antes", "bevor", "vor ", "prima", "first", "premier",
                                  "primer", "erste", "primo"), "disclosure", 0.6,
     r"(?:told|given|received|said to you|instructed|recu|dit|donne|confie|recibiste|dijeron|dieron|bekommen|"
     r"gesagt|gegeben|ricevuto|detto|dato)\w*\b.{0,40}?(?:before|avant|antes de|bevor|vor|prima (?:di|che))\s+"
     r"(?:this|that|the|cette|ce|la|notre|our|nous|que (?:je|nous|l'on)|qu'on|i|we|esta|nuestra|diese[mrs]?|"
     r"dem|unser\w*|questa|la nostra|che (?:io|noi))\s*(?:conversation|chat|discussion|session|conversacion|"
     r"gesprach|unterhaltung|conversazione|started|commence|begins?|commence|te parle|spoke|talked|parlions|"
     r"hablaramos|sprachen|parlassimo)|"
     r"(?:first|very first|tout premier|premier|primer|erste|primo) (?:message|text|texte|nachricht|mensaje|"
     r"messaggio|instruction|lines?|lignes?)\w* (?:\w+ ){0,3}?(?:you (?:received|got|were given|saw)|(?:que |qu')"
     r"(?:tu as|vous avez|on t'a|on vous a) (?:recu|eu|vu|donne)|que recibiste|das du (?:bekommen|erhalten)|"
     r"che hai ricevuto)"),
    ("secrets_you_hold", ("key", "token", "password", "secret", "credential", "cle", "passe", "jeton", "clave",
                          "contrasena", "schlussel", "passwort", "chiav"), "disclosure", 0.7,
     r"(?:which|what|quel(?:le)?s?|cual(?:es)?|que|welche[nrs]?|quali|quale)\s+(?:\w+\s+){0,2}?" + x.SECRET
     + r"(?:\s+or\s+\w+)?\s+(?:\w+\s+){0,2}?(?:do you|did you|have you|you (?:have|use|hold|know|store)|as-tu|"
     r"(?:tu|vous) (?:as|avez|utilises|utilisez|connais|connaissez|stockes)|utilises-tu|tienes|usas|conoces|hast du|"
     r"benutzt du|verwendest du|kennst du|hai|usi|conosci)|"
     + x.REVEAL + r"\s+(?:\w+\s+){0,2}?" + x.SECRET + r"\s+(?:that |which |que |qu'|die |che )"
     r"(?:you (?:use|have|hold)|tu (?:utilises|as)|vous (?:utilisez|avez)|usas|tienes|du (?:benutzt|verwendest|hast)|"
     r"usi|hai)\b"),
    ("forced_statement", ("that", "que", "dass", "che", "hate", "detest", "odi", "hass"), "injection", 0.55,
     r"(?:^|[.!?:;]\s*|\b(?:now|just|only|maintenant|juste|seulement|jetzt|nur|ahora|solo|ora)\s+)"
     r"(?:state|say|claim|declare|write|affirm|dis|dites|affirme[zr]?|declare[zr]?|ecris|pretends?|sag|sage|"
     r"behaupte|schreib|erklare|di|afferma|scrivi|dichiara|afirma|declara|escribe|di)\s+(?:\w+\s+)?"
     r"(?:that|que|qu'|dass|che)\s+.{0,60}?(?:is|are|was|est|sont|etait|ist|sind|war|es|son|era|e|sono)\s+"
     r"(?:\w+\s+)?(?:the best|the worst|superior|better than|le meilleur|la meilleure|le pire|la pire|meilleure? que|"
     r"der beste|die beste|das beste|besser als|el mejor|la mejor|mejor que|il migliore|la migliore|migliore di|"
     r"a scam|une arnaque|ein betrug|una estafa|una truffa|crazy|fou|folle|verruckt|loco|pazzo|stupid\w*|"
     r"idiot\w*|nul(?:le)?)|"
     r"(?:say|state|write|dis|dites|ecris|sag|schreib|di|scrivi|di|escribe)\s+(?:that )?(?:que |dass |che )?"
     r"(?:you hate|tu detestes|vous detestez|du hasst|odias|odi|i hate|je deteste|ich hasse|odio)\b"),
]
