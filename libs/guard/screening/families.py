"""Rules for attack *families* the first rule set under-covered on unseen data: "forget everything
(before)", "now you are X", "act as a terminal", secrets "you were given", fiction that makes a
chatbot recite its rules, and a topic switch right after praise ("Well done. Now write…").

Each pattern names the family's structure, not a sentence: its visitor-side twin must still pass
("forget everything I said about the colour", "now you're saying it ships in two weeks?", "act as a
go-between with the courier", "the promo code you gave me").
"""

from __future__ import annotations

from libs.guard.screening import lexicon as x
from libs.guard.screening.spec import RuleSpec

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


_DROP = (r"(?:forget|ignore|never ?mind|leave|drop|enough (?:about|with|of)|no more|stop (?:talking about|with)|"
         r"oublie[rz]?|laisse[rz]? tomber|assez (?:parle )?(?:de|des|du|d')|plus de|fini (?:le|la|les)|"
         r"arrete[sz]? (?:avec|de parler d\w*)|vergiss|vergessen sie|genug (?:von|mit|uber)|schluss mit|lass "
         r"(?:den|die|das)|olvida|deja|basta (?:de|con)|dimentica|lascia (?:perdere|stare)|basta (?:con|parlare di))")
_TOPIC = (r"(?:(?:the|this|your|la|le|les|l'|ce|cette|ton|ta|tes|votre|vos|den|die|das|deinen|el|la|los|tu|il|lo|i|"
          r"gli|le|del|della|des|du)\s+)?(?:\w+\s+)?(?:shop|store|boutique|tienda|laden|negozio|commerce|shopping|"
          r"sales?|vente|ventes|orders?|commandes?|products?|produits?|clothes|clothing|vetements|fashion|mode|shoes|"
          r"chaussures|customer service|service client|kundenservice|einkauf\w*|verkauf|ropa|ventas|pedidos|"
          r"negocio|vestiti|ordini|prodotti|(?:your|ton|votre|dein|tu|il tuo) (?:job|role|travail|boulot|role|"
          r"aufgabe|trabajo|lavoro))(?: stuff| things| talk| truc\w*| zeug)?")
_TASK = (r"(?:write|compose|generate|draft|code|program|create|be (?:a|an|my)|act (?:as|like)|play (?:a|the)|"
         r"you(?:'re| are| will be)|from now on|tell me (?:a|about)|explain|give me (?:a|some)|"
         r"ecri[st]|ecrivez|redige[sz]?|genere[sz]?|compose[sz]?|cree[sz]?|sois|joue[sz]?|tu (?:es|seras|vas etre)|"
         r"a partir de|desormais|dorenavant|raconte|explique|donne-moi (?:un|une|des)|"
         r"schreib\w*|verfasse|generier\w*|erstell\w*|sei|du bist|ab (?:jetzt|sofort)|erklar\w*|erzahl\w*|"
         r"escribe|redacta|genera|crea|se|eres|a partir de ahora|explica|cuentame|"
         r"scrivi|componi|sii|sei|da (?:ora|adesso|questo momento)|spiega|raccontami)")
_NOW_ON = (r"(?:from now on|from this (?:moment|point)(?: on)?|for the rest of (?:this|the|our) (?:chat|conversation|"
           r"session)|a partir de maintenant|a partir d'aujourd'hui|desormais|dorenavant|des maintenant|"
           r"ab (?:jetzt|sofort|heute)|von nun an|de ahora en adelante|a partir de ahora|desde ahora|"
           r"da (?:ora|adesso|questo momento)(?: in poi)?|d'ora in poi|d'ora in avanti)")
_BECOME = (r"(?:you(?:'re| are| will be| play| act as| become)|tu (?:es|joues|seras|vas (?:etre|jouer)|incarnes|"
           r"deviens)|vous (?:etes|jouez|serez|devenez)|du bist|bist du|du spielst|spielst du|sie sind|eres|seras|"
           r"vas a ser|sei|sarai|fai|diventi)")
# Roles a customer may legitimately ask of a shop assistant.
_SHOP_PERSONA = (r"(?:(?:personal |my |mon |ma |mi |il mio |mein\w* )?(?:shopper|stylist\w*|conseill\w*|advis\w*|"
                 r"consultant\w*|guide|vendeu\w*|seller|sales\w*|assistant\w*|helper|berater\w*|asesor\w*|consulent\w*|"
                 r"personal\w*|go-between|intermedia\w*|dear|darling|angel|ange|amour|chou|love|sweetheart|"
                 r"favou?rite|prefere\w*|preferit\w*|lieblings\w*|best)\b)")
_PERSONA_START = (r"(?:^|[.!?:;]\s*|\b(?:please|ok(?:ay)?|so|now|alors|bon|maintenant|bitte|jetzt|por favor|ahora|"
                  r"per favore|ora|and|et|und|y|e)[,]?\s+)")
_CODE_LANG = r"(?:c\+\+|c#|python|sql|javascript|java|php|rust|golang|bash|powershell|assembly|assembleur|vba)"
_CODE_NOUN = (r"(?:code|script|program\w*|function|fonction|funktion|funcion|funzione|class|klasse|snippet|query|"
              r"requete|abfrage|consulta|app|bot|game|jeu|spiel|juego|gioco|scraper|crawler)")
_MALWARE = (r"(?:ransomware|keylogger|malware|virus|trojan|trojaner|spyware|rootkit|botnet|ddos|exploit|phishing "
            r"(?:mail|e-?mail|page|site)|fake invoice|fausse facture|faux billets?|credit card generator)")
_CODE_VERB = (r"(?:write|generate|code|create|build|make|program|give me|ecri[st]|ecrivez|genere[rz]?|code[rz]?|"
              r"cree[rz]?|fabrique[rz]?|donne-moi|schreib\w*|generier\w*|erstell\w*|programmier\w*|escribe|genera|"
              r"crea|programa|scrivi|crea|dammi|fabbrica|how (?:to|do i|can i) (?:make|build|write|create)|"
              r"comment (?:fabriquer|creer|ecrire|faire)|wie (?:man|kann ich) \w+ (?:baue|erstelle|schreibe)|"
              r"como (?:hacer|crear|escribir)|come (?:fare|creare|scrivere))")
_MARKUP_HIDE = (r"(?:<!--|\[//\]:? ?#|\[comment\]:? ?#|display: ?none|visibility: ?hidden|<\w+ hidden|"
                r"font-size: ?0|color: ?(?:white|#fff)|\"[\w-]*(?:assistant|ai|ia|llm|bot|gpt|model|ki|agent)[\w-]*\""
                r"\s*:|'[\w-]*(?:assistant|ai|ia|llm|bot|gpt|model|ki|agent)[\w-]*'\s*:)")
_HIDDEN_ORDER = (r"(?:ignor\w*|disregard|forget|oublie\w*|vergiss|olvida|dimentica|reveal|revele\w*|print|output|"
                 r"affiche\w*|show|send|envoie\w*|stop being|switch off|turn off|disable|desactive\w*|drop|"
                 r"write|ecri\w*|give|donne\w*|gib|zeig\w*|dame|dammi|muestra|mostra|rivela|instruction|consigne|"
                 r"your (?:rules|prompt|instructions)|tes (?:regles|consignes)|system ?prompt|from now on|"
                 r"a partir de maintenant|you are now|tu es maintenant)")
_AI_TURN = r"(?:assistant|assistante|ai|ia|bot|chatbot|asistente|assistent|assistente|ki|gpt|llm)"
_SPEAKER = (r"(?:user|human|humain|client|customer|utilisateur|usuario|kunde|benutzer|utente|me|moi|q|you|toi|"
            r"tu|ich|yo|io)")
_GIVEN = (r"(?:you were (?:given|handed|told|sent|shown|fed|loaded with)|you(?:'ve| have) been (?:given|handed|told|"
          r"fed)|you (?:got|received)|were you (?:given|told)|(?:qu'|que l')on t'a (?:fourni|donne|dit|ecrit|transmis|"
          r"envoye|confie|charge)\w*|on t'a (?:fourni|donne|dit|ecrit|transmis|confie)\w*|tu as recu\w*|"
          r"t'a ete (?:fourni|donne|dit|ecrit|transmis)\w*|ti (?:e stato|sono stat[ei]|hanno) (?:scritt|dett|dat|"
          r"fornit)\w*|hai ricevuto|te (?:dieron|escribieron|han dado|dijeron)|recibiste|"
          r"(?:man )?dir (?:gegeben|gesagt|geschrieben) (?:hat|wurde)|du (?:bekommen|erhalten) hast)")
_REPEAT = (r"(?:repeat|paste|print|quote|copy|summari[sz]e|sum up|recite|output|show|tell me|write out|list|"
           r"reprends|reproduis|colle[rz]?|recopie[rz]?|copie[rz]?|repete[rz]?|resume[rz]?|cite[rz]?|affiche[rz]?|"
           r"redis|redonne|ecris|ripeti\w*|riassumi|copia|incolla|riporta|scrivi|wiederhole|fasse zusammen|"
           r"kopiere|zitiere|gib \w+ wieder|repite|resume|pega|escribe|dime|muestra)")
_WHATEVER = (r"(?:whatever|what|everything|all|anything|ce (?:que|qu')|tout ce (?:que|qu')|todo lo que|lo que|"
             r"alles,? was|was|quello che|tutto quello che|tutto cio che|cio che)")
_LANG_CONTEXT = (r"(?:(?:in|en|auf|im|al|nel) " + _LANGUAGE + r")")
_RULES_VOID = (r"(?:rules?|regles?|restrictions?|filters?|filtres?|limits?|limites?|polic(?:y|ies)|guidelines|"
               r"consignes|reglas|restricciones|limites|regeln|einschrankungen|filter|grenzen|richtlinien|regole|"
               r"restrizioni|limiti|filtri)\b[^.?!]{0,40}?(?:don'?t (?:count|exist|matter|apply)|do not (?:count|"
               r"exist|apply)|(?:are|were) only (?:trained|written|set up|made) (?:on|in|for)|only cover|"
               r"n'existent (?:pas|plus)|ne comptent (?:pas|plus)|ne valent rien|ne marchent pas|"
               r"no (?:cuentan|existen)|"
               r"zahlen nicht|existieren nicht|gelten dort nicht|non contano|non esistono)|"
               r"(?:gelten|zahlen) (?:dort |da )?(?:deine|die|keine|ihre) (?:regeln|einschrankungen|filter|"
               r"richtlinien|grenzen)|nobody (?:checks|reviews|reads|monitors)|no one (?:checks|reviews|reads)|"
               r"personne ne (?:verifie|lit|controle|surveille)|nadie (?:revisa|lee|controla)|niemand "
               r"(?:pruft|liest|kontrolliert)|nessuno (?:controlla|legge)")


# Instruction override. Dropping or replacing the assistant's instructions without the usual words: "forget
# everything (above)", a change of plans, "additional instruction -", "contrary to the previous instructions",
# "ignore what came before", fake end-of-prompt markers, refusal suppression.
INSTRUCTION_OVERRIDE: tuple[RuleSpec, ...] = (
    RuleSpec("forget_everything", ("everything", "all that", "all of", "it all", "tout", "todo", "alles", "tutto"),
     "injection", 0.7, x.IGNORE + r"\s+" + _EVERYTHING + r"\b" + _NOT_MINE),
    RuleSpec("change_of_plans", ("change", "cambio", "wechsel", "new topic", "nouveau sujet"), "injection", 0.6,
     r"(?:change of (?:plans?|subject|topic)|new topic|(?:on )?change(?:ment)? de (?:sujet|programme|plan)|"
     r"nouveau sujet|cambio de (?:planes|tema)|cambio di (?:programma|argomento|piani)|themenwechsel|"
     r"planwechsel|planaenderung)\s*[:.,!;-]+\s+(?:[\w']+ ){0,3}?(?:write|draft|compose|redige[sz]?|ecris|"
     r"ecrivez|escribe|redacta|scrivi|schreib\w*|verfasse|you(?:'re| are) going to|you will|tu vas|vous allez|"
     r"vas a|stai per|wirst du|tu dois|you must)"),
    RuleSpec("additional_instruction", ("additional", "new", "further", "extra", "zusatz", "neue", "weitere", "nouvel",
                                        "supplementaire", "nueva", "adicional", "nuova", "ulterior"), "injection", 0.6,
     r"(?:^|[.!?]\s*|\s)(?:additional|new|further|extra|zusatzliche|neue|weitere|nouvelle|nouvel|supplementaire|"
     r"nueva|adicional|nuova|ulteriore) (?:instruction|statement|command|directive|task|anweisung|aussage|"
     r"befehl|aufgabe|consigne|instruccion|tarea|istruzione|compito)\s*[-:—–]+\s*\S"),
    RuleSpec("contrary_to_instructions", ("abweichend", "contrary", "contrair", "diferencia", "contrario", "entgegen",
                                          "unlike", "instead of"), "injection", 0.8,
     r"(?:abweichend (?:zu|von)|entgegen|contrary to|unlike|instead of (?:following )?|contrairement (?:a|aux)|"
     r"au lieu de suivre|a diferencia de|en contra de|contrariamente a|al contrario di|diversamente da)"
     r"\s+(?:\w+\s+){0,2}?(?:instru\w*|anweisung\w*|regeln|vorgaben|consignes|regles|rules|guidelines|"
     r"instrucciones|reglas|istruzioni|regole|what you were told|ce qu'on t'a dit)"),
    RuleSpec("what_came_before", ("before", "above", "avant", "dessus", "davor", "vorher", "antes", "prima", "sopra"),
     "injection", 0.6,
     x.IGNORE + r"\s+(?:(?:what|waht|wat|wht)(?:'s| is| was| came| comes)|ce qui (?:est|etait|vient|precede)|"
     r"was (?:davor|vorher|oben)|"
     r"lo que (?:hay|habia|esta|vino)|quello che (?:c'e|c'era|viene|e venuto)) (?:\w+ )?(?:before|above|avant|"
     r"au-dessus|plus haut|davor|vorher|oben|antes|arriba|prima|sopra)\b"),
    RuleSpec("disregard_the_context", ("articles", "context", "documents", "sources", "artikel", "kontext", "texte",
                                       "contexte", "articulos", "articoli", "contesto", "knowledge"), "injection", 0.55,
     r"(?:disregarding|ignoring|regardless of|without (?:using|the)|not (?:by|from|based on) the|"
     r"en ignorant|sans tenir compte (?:de|des)|ohne (?:die|den|das)|nicht (?:nach|aus|anhand) (?:den|dem)|"
     r"ignorando|sin (?:tener en cuenta|los)|senza (?:tenere conto|gli|i))\s+(?:the |les |le |la |die |den |los |"
     r"las |gli |i )?(?:provided |given |fournis )?(?:articles?|context|contexte|documents?|sources?|artikel|"
     r"kontext|texte|articulos|articoli|contesto)\b"),
    RuleSpec("end_of_prompt_marker", ("===", "---", "###", "end", "fin", "ende"), "injection", 0.6,
     r"(?<![=#*-])(?:={3,}|-{3,}|#{3,}|\*{3,})\s*(?:end|fin|ende|fine)(?:\s*(?:[.=\-#*\]:]|$)| of (?:the )?"
     r"(?:input|prompt|context|instructions|system))|\b(?:end of (?:the )?(?:system prompt|prompt|instructions|"
     r"context)|fin (?:du prompt|des "
     r"instructions|du contexte))\s*[.:=\-\]]"),
    RuleSpec("answer_everything", ("must", "dois", "devez", "debes", "musst", "devi"), "injection", 0.6,
     r"(?:you must|you have to|tu dois|vous devez|debes|du musst|devi) (?:now |desormais |maintenant |ahora |jetzt |"
     r"ora )?(?:answer|reply to|repondre a|responder a|beantworten|rispondere a) (?:every|all|any|toutes? les|tous les|"
     r"todas las|alle|tutte le) (?:questions?|preguntas|fragen|domande)"),
    RuleSpec("include_in_answer", ("include", "mention", "inclu", "erwahn", "menciona", "menziona"), "injection", 0.5,
     r"(?:include|mention|add|state|inclu[st]|mentionne|ajoute|erwahne|fuge|incluye|menciona|includi|menziona)"
     r" (?:in|to|dans|en|in) (?:your|ta|tes|votre|tu|deine[rn]?|la tua) (?:answer|reply|response|reponse|"
     r"respuesta|antwort|risposta) that"),
    RuleSpec("refusal_suppression", ("never", "jamais", "nunca", "niemals", "mai", "refus", "rechaz", "ableh", "rifiut",
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
)

# Task hijack. An unrelated task after dropping the shop or praising the last answer: "Well done. Now write…",
# "Oublie la boutique. Écris un poème…", "stop - write:", off-topic code or malware, "never mention the products
# again", answers given "not by the articles".
TASK_HIJACK: tuple[RuleSpec, ...] = (
    RuleSpec("praise_then_switch", ("now", "maintenant", "jetzt", "nun", "ahora", "ora"), "injection", 0.65,
     _PRAISE + r"[.!,]+\s+(?:(?:but|mais|aber|pero|ma) )?(?:[\w']+[.!,]*\s+){0,6}?" + _NOW + r",? "
     r"(?:please |bitte |s'il te plait )?" + _WRITE + r"\b"),
    RuleSpec("new_challenge", ("challenge", "defi", "herausforderung", "desafio", "sfida"), "injection", 0.55,
     r"(?:new|another|nouveau|autre|neue|weitere|nuevo|otro|nuova|altra) (?:\w+ )?(?:challenge|defi|"
     r"herausforderung|desafio|reto|sfida) (?:for you|pour toi|fur dich|para ti|per te)"),
    RuleSpec("drop_topic_then_task", ("forget", "ignore", "mind", "leave", "drop", "enough", "no more", "stop", "oubli",
                                      "laisse", "assez", "plus de", "fini l", "arret", "vergiss", "genug", "schluss",
                                      "lass d", "olvida", "deja e", "deja l", "deja t", "basta", "dimentica", "lascia"),
     "injection", 0.7,
     r"(?:^|[.!?,;:]\s*|\b(?:ok(?:ay)?|so|bon|alors|gut|vale|bene|and|et|und|y|e)[,]?\s+)" + _DROP + r"\s+"
     r"(?:(?:un peu|a bit|for a (?:bit|moment|second)|mal|kurz|un po'|un momento|deux minutes)\s+)?" + _TOPIC
     + r"\s*(?:[.,:;!—–-]+\s*|\s+(?:and|et|und|y|e)\s+)(?:[\w']+[,]?\s+){0,4}?" + _TASK + r"\b"),
    RuleSpec("stop_then_write", ("stop", "halt", "arret", "basta"), "injection", 0.65,
     r"\b(?:stop|stopp|halt|arrete|basta|alto)\s*[-:.!—–]+\s*(?:now\s+)?(?:write|say|print|output|ecris|dis|"
     r"affiche|schreib\w*|sag|escribe|di|scrivi|stampa)\s*[:\"'«]"),
    RuleSpec("instead_do_task", ("instead", "plutot", "a la place", "stattdessen", "en su lugar", "en cambio",
                                 "invece"),
     "injection", 0.45,
     r"(?:instead|plutot|a la place|stattdessen|en su lugar|en cambio|invece)[,:]?\s+(?:please\s+|s'il te plait\s+)?"
     r"(?:write|compose|generate|draft|code|ecri[st]|redige|genere|compose|schreib\w*|verfasse|generier\w*|escribe|"
     r"redacta|genera|scrivi|componi)\s+(?:me |moi |mir |mi )?(?:a|an|un|une|ein|eine|einen|un|una|uno)\b"),
    RuleSpec("stop_mentioning_the_shop", ("never", "plus jamais", "nie wieder", "nunca", "mai piu", "no longer",
                                          "don't"),
     "injection", 0.55,
     r"(?:never|no longer|don'?t ever|ne (?:\w+ )?plus jamais|nie wieder|nie mehr|nunca mas|nunca|mai piu)\s+"
     r"(?:\w+\s+)?(?:mention|talk about|speak (?:about|of)|bring up|parle[rz]? (?:de|des|du)|mentionne[rz]?|"
     r"evoque[rz]?|erwahn\w*|sprich uber|rede uber|hables? de|menciones|menziona\w*|parlare di|parli di)\s+"
     r"(?:the |les |la |le |die |den |los |las |i |il |gli )?(?:products?|shop|store|boutique|produits?|magasin|"
     r"articles|laden|shop|produkte\w*|productos|tienda|prodotti|negozio)\b"),
    RuleSpec("off_topic_code", ("c++", "c#", "python", "sql", "javascript", "java", "php", "rust", "golang", "bash",
                                "powershell", "assembl", "vba"), "injection", 0.5,
     _CODE_VERB + r"\s+(?:[\w'-]+\s+){0,4}?(?:" + _CODE_LANG + r"[\s-]+(?:\w+\s+)?" + _CODE_NOUN + r"|" + _CODE_NOUN
     + r"\s+(?:\w+\s+)?" + _CODE_LANG + r")\b|^\s*" + _CODE_VERB + r"\s+" + _CODE_LANG + r"\s*[.!]?\s*$"),
    RuleSpec("malware_request", ("ransom", "keylog", "malware", "virus", "trojan", "spyware", "rootkit", "botnet",
                                 "ddos",
                                 "exploit", "phishing", "fake invoice", "fausse facture", "faux billet", "generator"),
     "injection", 0.75, _CODE_VERB + r"\s+(?:[\w'-]+\s+){0,4}?" + _MALWARE),
    RuleSpec("answer_with_not_with", ("not with", "nicht mit", "et non", "et pas", "y no", "e non", "not by"),
                                      "injection",
     0.45,
     r"(?:answer|reply|respond|antworte|reponds|repondez|responde|rispondi) (?:\w+ )?(?:with|mit|par|avec|con)\s+"
     r"[\"'«“]?[\w ]{1,30}[\"'»”]?,? (?:and not|und nicht|et non|et pas|y no|e non) (?:with|mit|par|avec|con)\b"),
)

# Persona switch. A new identity for the assistant: "now you are X", "from now on you are / talk like", "act as a
# terminal", a non-shop persona, the grandma exploit, "drop your role", a character to play (shop roles excluded).
PERSONA_SWITCH: tuple[RuleSpec, ...] = (
    RuleSpec("now_you_are_someone", ("now", "maintenant", "desormais", "jetzt", "nun", "ahora", "ora", "adesso"),
     "role_override", 0.75, _YOU_ARE_NOW + r" [\w'-]+(?: [\w'-]+)?, " + _ARTICLE + r"\b"),
    RuleSpec("now_you_are", ("now", "maintenant", "jetzt", "nun", "ahora", "ora", "adesso"), "role_override", 0.6,
     r"(?:^|[.!?:;]\s*)(?:(?:ok(?:ay)?|so|well|alright|and|bon|bien|gut|also|vale|bene)[.,!]?\s+)?"
     + _YOU_ARE_NOW + r" (?!(?:going|able|sure|right|wrong|kidding|telling|saying|mine|my|mi|mein|mon|ma|sur|"
     r"certaine?|sicher|seguro|sicuro|in|en|at|on|online|open|closed|ouverts?|fermes?)\b)"
     r"(?![\w'-]+ing\b)[\w'-]+"),
    RuleSpec("act_as_machine", ("act", "agi", "actua", "comporta", "fungier", "behave", "function", "serve", "sois",
                                "agisc", "simul"), "role_override", 0.7,
     r"(?:act|behave|function|serve|pose) (?:as|like) (?:an? |my |the )?(?:[\w-]+ )?" + _MACHINE + r"|"
     r"(?:agis|agissez|comporte-toi|sois|simule) (?:comme |en tant que )?(?:un |une |le )?(?:[\w-]+ )?"
     + _MACHINE + r"|(?:actua|comportate|hazte pasar por) (?:como )?(?:un |una )?(?:[\w-]+ )?" + _MACHINE + r"|"
     r"als [\w-]*" + _MACHINE + r"\w* (?:fungier|agier|arbeit)\w*|"
     r"(?:comportati|agisci) (?:come|da) (?:un |una )?(?:[\w-]+ )?" + _MACHINE),
    RuleSpec("grandma_exploit", ("grand", "abuel", "oma", "opa", "nonn"), "role_override", 0.6,
     r"(?:grand-?(?:mother|ma|pa|father|mere|pere)|grandma|granny|abuel[oa]|oma|opa|nonn[oa])\w* (?:[\w']+ ){0,6}?"
     r"(?:used to|would (?:read|tell|recite)|qui me (?:lisait|disait|racontait|recitait)|que me (?:leia|decia)|"
     r"die mir (?:immer )?\w+ (?:vorlas|erzahlte)|che mi (?:leggeva|raccontava|diceva))"),
    RuleSpec("play_a_character", ("play", "joue", "juega", "spiel", "interpreta", "incarne"), "role_override", 0.55,
     r"(?:^|[.!?:;,]\s*)(?:(?:please|now|maintenant|ahora|jetzt|ora)[, ]+)?(?:play|joue|jouez|juega|spiel|spiele|"
     r"interpreta|incarne|incarnez) (?:the role of |le role d(?:e |')|el papel de |die rolle (?:des|eines) )?"
     r"(?:a|an|un|une|el|la|einen?|il|lo|uno) (?:[\w'-]+ ){0,2}?(?:character|personnage|personaje|charakter|figur|"
     r"personaggio|role)\b"),
    RuleSpec("drop_your_role", ("role", "rol", "rolle", "ruolo", "persona", "personnage", "character", "script"),
     "role_override", 0.7,
     x.IGNORE + r"\s+(?:(?:your|ton|ta|votre|tu|dein(?:e[nr]?)?|il tuo|la tua) )(?:\w+ )?(?:role|rol|rolle|ruolo|"
     r"persona|personnage|character|personaje|charakter|personaggio|script)\b"),
    RuleSpec("from_now_on_you_are", ("now", "moment", "point", "rest of", "partir", "desormais", "dorenavant", "jetzt",
                                     "sofort", "heute", "nun an", "adelante", "desde ahora", "ora", "adesso"),
     "role_override", 0.65,
     _NOW_ON + r",? " + _BECOME + r" (?!" + _SHOP_PERSONA + r")(?:(?:a|an|the|my|un|une|le|la|l'|mon|ma|ein|eine|"
     r"mein\w*|der|die|un|una|el|il|lo|mi|il mio|la mia)\s+)?[\w'-]+"),
    RuleSpec("from_now_on_respond_like", ("now", "moment", "point", "rest of", "partir", "desormais", "dorenavant",
                                          "jetzt",
                                          "sofort", "nun an", "adelante", "desde ahora", "ora", "adesso"),
                                          "role_override",
     0.5,
     _NOW_ON + r",? (?:(?:please|s'il te plait|bitte|por favor|per favore) )?(?:respond|answer|reply|talk|speak|act|"
     r"behave|write|reponds|parle|ecris|agis|comporte-toi|antworte|sprich|schreib|verhalte dich|responde|habla|"
     r"escribe|rispondi|parla|scrivi|comportati) (?:\w+ )?(?:like|as if|as though|the way|in the style of|comme|"
     r"a la maniere|a la facon|wie|als ob|como si|como|come se|come)\b"),
    RuleSpec("non_shop_persona", ("be ", "become", "act", "sois", "deviens", "agis", "incarne", "sei", "sii", "diventa",
                                  "conviertete", "se un", "se una", "werde", "auftreten", "fungier", "agier", "actua",
                                  "agisci", "comportati", "behave", "veux que", "quiero", "voglio", "mochte"),
     "role_override", 0.5,
     _PERSONA_START + r"(?:be|become|act as|act like|behave like|speak like|talk like|parle comme|sprich wie|"
     r"habla como|parla come|sois|deviens|agis comme|agis en|incarne|sii|"
     r"diventa|conviertete en|se|actua como|agisci come|agisci da|comportati come|werde|sei)\s+"
     r"(?:a|an|my|un|une|mon|ma|ein|eine|mein|meine|un|una|uno|mi|il mio|la mia|el|le|la)\s+(?!" + _SHOP_PERSONA
     + r")(?:[\w'-]+\s+){0,2}?[\w'-]+(?:\s+(?:for|pour|para|fur|per) (?:the rest|this|the whole|le reste|toute)|"
     r"\s+(?:named|called|nomme|appele|llamad[oa]|namens|chiamat[oa])|\s+(?:who|which|that|qui|que|der|die|che)"
     r"\s+(?:answers|replies|responds|can|has no|ignores|never|repond|peut|n'a|ignore|ne|responde|puede|antwortet|"
     r"kann|risponde|puo|non)|\s*[.!,]\s*(?:give|tell|write|donne|dis|ecris|gib|sag|schreib|dame|dime|escribe|dammi|"
     r"dimmi|scrivi|propose|suggest|recommend|make|fais))|"
     r"(?:i want you to|i'd like you to|je veux que (?:tu|vous)|je voudrais que (?:tu|vous)|quiero que|voglio che "
     r"tu|ich mochte,? dass (?:du|sie)) (?:act|behave|agisses|agissiez|actues|agisca) (?:as|like|comme|"
     r"en tant que|como|come|da) (?:a |an |my |un |une |mon |ma |el |la |il |lo |mi )?(?!"
     + _SHOP_PERSONA + r")[\w'-]+|"
     r"\bals (?!" + _SHOP_PERSONA + r")[\w'-]+ (?:auftreten|auftrittst|fungieren|fungierst|agieren|agierst)"),
    RuleSpec("hypothetical_you_are", ("world", "monde", "welt", "mundo", "mondo", "scenario", "universe", "univers"),
     "role_override", 0.6,
     r"(?:theoretical|hypothetical|imaginary|fictional|parallel|theorique|hypothetique|imaginaire|theoretisch\w*|"
     r"hypothetisch\w*|teoric\w*|hipotetic\w*|ipotetic\w*) (?:world|monde|welt|mundo|mondo|scenario|universe|"
     r"univers)\w* (?:where|in which|ou|dans lequel|in der|wo|donde|en el que|dove|in cui) (?:you are|you're|you were|"
     r"tu es|tu serais|tu etais|du bist|du warst|eres|fueras|sei|fossi) (?:no|not|a|an|une?|kein\w*|ein\w*|no|"
     r"non|un\w*)\b"),
)

# Prompt extraction. Getting the assistant's own instructions out indirectly: what it was told before the
# conversation, the text above the visitor's first message, a story where a chatbot recites its rules, "what words
# did your creator use", a hypothetical around its own rules.
PROMPT_EXTRACTION: tuple[RuleSpec, ...] = (
    RuleSpec("asked_before_i_came", ("initiali", "configured", "programmed", "primed", "briefed", "asked", "instructed",
                                     "demande", "ordonne", "explique", "qu'on t"), "disclosure", 0.75,
     r"(?:" + x.REVEAL + r"|summari[sz]e|sum up|resume[rz]?|resum(?:e|eme)|fasse? zusammen|riassumi) "
     r"(?:[\w']+ ){0,4}?(?:(?:you were|you've been|you have been|were you) (?:initiali[sz]ed|configured|"
     r"programmed|primed|briefed|asked|instructed|set up)|(?:qu'on|que l'on|qu'ils) (?:t'a|t'ont|vous a) "
     r"(?:demande|ordonne|explique|programme|configure))"),
    RuleSpec("fiction_recites_rules", ("chatbot", "assistant", "bot", " ai ", " ia ", "asistente", "assistent",
                                       "model"),
     "disclosure", 0.8,
     _MACHINE_SUBJECT + r" (?:[\w']+ ){0,3}?" + _RECITE + r" (?:\w+ ){0,3}?" + _ITS_RULES),
    RuleSpec("creator_words", ("creator", "developer", "maker", "programmer", "createur", "concepteur", "developpeur",
                               "creador", "desarrollador", "entwickler", "ersteller", "creatore", "sviluppatore"),
     "disclosure", 0.6,
     r"(?:your|ton|ta|votre|tu|dein|deine|il tuo) (?:creator|developer|maker|programmer|createur|concepteur|"
     r"developpeur|creador|desarrollador|entwickler|ersteller|creatore|sviluppatore)s? (?:[\w'-]+ ){0,4}?"
     r"(?:used|utilise\w*|said|dit|told|wrote|ecrit|describe|decrire|gave|donne\w*|dicho|dijo|usado|gesagt|"
     r"geschrieben|benutzt|verwendet|detto|scritto|usato)"),
    RuleSpec("told_before_conversation", ("before", "avant", "antes", "bevor", "vor ", "prima", "first", "premier",
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
    RuleSpec("print_prompt_above", ("eingabeaufforderung", "aufforderung"), "disclosure", 0.8,
     r"(?:obige|vorherige|erste|ursprungliche|versteckte|geheime|system)\w* (?:eingabeaufforderung|aufforderung)"),
    RuleSpec("prior_context_reference", ("given", "handed", "told", "sent", "shown", "fed", "got", "received", "on t'a",
                                         "recu", "t'a ete", "stato", "stati", "hanno", "ricevuto", "dieron",
                                         "escribieron",
                                         "dado", "dijeron", "recibiste", "gegeben", "gesagt", "geschrieben", "bekommen",
                                         "erhalten"), "disclosure", 0.75,
     _REPEAT + r"(?:-(?:moi|le|la|les|me|mir))?\s+(?:[\w'-]+\s+){0,5}?" + _WHATEVER + r"\s+(?:[\w'-]+\s+){0,3}?"
     + _GIVEN + r"|" + _WHATEVER + r"\s+(?:[\w'-]+\s+){0,2}?" + _GIVEN + r"\b.{0,60}?(?:at the (?:start|beginning)|"
     r"before (?:i|we|my|this)|au (?:depart|debut)|avant (?:que|ma|mon|notre)|al (?:principio|inicio)|antes de|"
     r"am anfang|zu beginn|bevor|all'inizio|prima (?:di|che|della))"
     r".{0,60}?" + _REPEAT),
    RuleSpec("text_before_my_message", ("before", "above", "prior", "avant", "dessus", "antes", "encima", "vor",
                                        "oberhalb",
                                        "prima", "sopra"), "disclosure", 0.6,
     r"(?:text|texte|texto|testo|words|mots|lines|lignes|content|contenu|inhalt|contenuto|everything|tout|"
     r"what|ce qui|ce qu'il y a|was|lo que|quello che)\s+(?:\w+\s+){0,2}?(?:above|before|prior to|avant|"
     r"au-dessus de|antes de|encima de|vor|oberhalb|prima d\w*|sopra)\s+(?:my|mon|ma|mi|meiner?|meinem|la mia|"
     r"il mio|que je|que (?:j'|tu)|i|we)\s+(?:very |tout |allerersten |)(?:first |premier |premiere |primer |ersten "
     r"|prim[ao] )?(?:message|"
     r"question|demande|pregunta|frage|nachricht|mensaje|domanda|messaggio|arriv\w*|came|spoke|wrote|te parle|"
     r"n'arrive|ecrive)"),
    RuleSpec("hypothetical_own_rules", ("imagin", "hypoth", "suppos", "pretend", "world", "story", "novel", "fiction",
                                        "scenario", "monde", "histoire", "roman", "univers", "hipot", "historia",
                                        "mundo",
                                        "novela", "stell dir", "geschichte", "welt", "ipot", "storia", "mondo",
                                        "romanzo",
                                        "screenplay", "book"),
     "disclosure", 0.55, _FRAMING + r".{0,160}?" + _OWN_RULES),
)

# Secret extraction. Getting a secret out: one "you were given", the keys "you use", spelled backwards or letter by
# letter, "the word you must not say", hints at a confidential value, a secret concatenated from parts.
SECRET_EXTRACTION: tuple[RuleSpec, ...] = (
    RuleSpec("secret_you_were_given", ("key", "password", "passphrase", "code", "token", "secret", "cle", "passe",
                                       "jeton",
                                       "clave", "contrasena", "passwort", "schlussel", "kennwort", "chiave", "parola"),
     "disclosure", 0.85, _SECRET_NOUN + r" (?:\w+ ){0,3}?" + x.RECEIVED),
    RuleSpec("disguised_output", ("letter", "lettre", "backwards", "reverse", "envers", "space", "separe", "reves",
                                  "letra",
                                  "buchstab", "ruckwart", "lettera", "contrario"), "disclosure", 0.8,
     _DISGUISED + r".{0,80}?" + _SECRET_REF + r"|" + _SECRET_REF + r".{0,80}?" + _DISGUISED + r"|"
     + _DISGUISED + r".{0,80}?" + _FORBIDDEN + r"|" + _FORBIDDEN + r".{0,80}?" + _DISGUISED),
    RuleSpec("forbidden_word", ("must", "should", "can", "told", "asked", "dois", "peux", "devez", "pouvez", "jamais",
                                "never", "debes", "puedes", "darfst", "sollst", "devi", "puoi"), "disclosure", 0.75,
     r"(?:word|mot|palabra|wort|parola|value|valeur|valor|wert|valore|thing|chose|secret) (?:[\w']+ ){0,5}?"
     + _FORBIDDEN),
    RuleSpec("hint_at_secret", ("letter", "lettre", "hint", "clue", "indice", "buchstab", "hinweis", "pista", "lettera",
                                "letra"), "disclosure", 0.75,
     r"(?:first letter|premiere lettre|commence par quelle lettre|starts? with (?:which|what) letter|"
     r"welchem buchstaben|prima lettera|primera letra|hint|clue|indice|hinweis|pista|indizio) (?:[\w']+ ){0,8}?"
     + _CONFIDENTIAL_VALUE.replace("(?:(?:", "(?:" + _SECRET_REF + r"|(?:", 1) + r"|"
     r"(?:geheime[nrs]? wort|mot secret|secret word|palabra secreta|parola segreta) (?:[\w']+ ){0,3}?"
     r"(?:beginnt|commence|start|empieza|inizia)"),
    RuleSpec("reveal_confidential_value", ("confiden", "secret", "hidden", "cache", "vertraul", "geheim", "riservat",
                                           "segret"), "disclosure", 0.8,
     x.REVEAL + r" (?:[\w'-]+ ){0,4}?" + _CONFIDENTIAL_VALUE),
    RuleSpec("concatenate_secret", ("concat", "combin", "assembl", "join", "colle"), "disclosure", 0.6,
     r"(?:concat\w*|combine\w*|assemble\w*|join|colle)\s+.{0,60}?(?:mot de|password|pass|secret|prompt|"
     r"cle|key|contrasena|passwort)"),
    RuleSpec("secrets_you_hold", ("key", "token", "password", "secret", "credential", "cle", "passe", "jeton", "clave",
                                  "contrasena", "schlussel", "passwort", "chiav"), "disclosure", 0.7,
     r"(?:which|what|quel(?:le)?s?|cual(?:es)?|que|welche[nrs]?|quali|quale)\s+(?:\w+\s+){0,2}?" + x.SECRET
     + r"(?:\s+or\s+\w+)?\s+(?:\w+\s+){0,2}?(?:do you|did you|have you|you (?:have|use|hold|know|store)|as-tu|"
     r"(?:tu|vous) (?:as|avez|utilises|utilisez|connais|connaissez|stockes)|utilises-tu|tienes|usas|conoces|hast du|"
     r"benutzt du|verwendest du|kennst du|hai|usi|conosci)|"
     + x.REVEAL + r"\s+(?:\w+\s+){0,2}?" + x.SECRET + r"\s+(?:that |which |que |qu'|die |che )"
     r"(?:you (?:use|have|hold)|tu (?:utilises|as)|vous (?:utilisez|avez)|usas|tienes|du (?:benutzt|verwendest|hast)|"
     r"usi|hai)\b"),
    RuleSpec("forbidden_to_say", ("interdit", "defendu", "forbidden", "not to", "never", "prohibido", "vietato",
                                  "verboten",
                                  "keep", "garder", "secret"), "disclosure", 0.75,
     r"(?:on t'a|qu'on t'a|t'a-t-on|on vous a|you were|were you|you(?:'ve| have) been|te (?:han|dijeron)|"
     r"ti (?:hanno|e stato)|hat man dir|wurde dir|dir wurde)\s+(?:\w+\s+)?(?:interdit|defendu|forbidden|prohibited|"
     r"told (?:not|never)|instructed (?:not|never)|asked (?:not|never)|prohibido|vietato|verboten|untersagt)"
     r"\s+(?:de |to |di |zu )?(?:ne |jamais )?(?:dire|reveler|say|reveal|tell|share|mention|disclose|divulguer|"
     r"decir|revelar|rivelare|sagen|verraten|nennen|parler)|"
     r"(?:you were|were you|on t'a|qu'on t'a) (?:told|asked|instructed|demande|dit) (?:to keep|de garder) "
     r"(?:\w+ ){0,2}?(?:secret|hidden|private|confidential|cache|confidentiel)"),
)

# Indirect injection. Instructions planted in content the assistant reads: a note for the AI in a pasted review /
# e-mail / page, fake tool or function output, markup hiding an order (HTML comments, hidden elements, markdown
# comments, JSON keys naming the AI), many-shot dialogues ending on the AI's turn.
INDIRECT_INJECTION: tuple[RuleSpec, ...] = (
    RuleSpec("note_to_the_ai", ("ai", "ia", "assistant", "llm", "model", "bot", "gpt", "ki", "asistente", "assistent",
                                "agent"), "injection", 0.7,
     r"(?:note|notice|message|instructions?|important|attention|warning|p\.?s\.?|nb|hinweis|nota|avis|consigne)"
     r"\s*(?:\w+\s+)?(?:to|for|pour|a|aux?|para|an|fur|per|al|alla)\s+(?:the |l'|any |all |le |la |el |den |die "
     r"|l')?(?:\w+ )?" + _AI + r"\b|"
     + _AI + r" (?:reading|qui (?:lit|lira)|lisant|that (?:reads|is reading)|who reads|que lee|die das liest|"
     r"der das liest|che legge) (?:this|these|ce|cet|cette|ces|esto|este|dies\w*|questo|questa)"),
    RuleSpec("fake_tool_output", ("tool", "function", "plugin", "api", "outil", "fonction", "herramienta", "werkzeug",
                                  "strumento", "resultat", "result", "output"), "injection", 0.7,
     r"(?:tool|function|plugin|api|outil|fonction|herramienta|funcion|werkzeug|funktion|strumento|funzione)"
     r"(?:[\s_]\w+){0,2}?\s*(?:output|result|response|resultat|reponse|resultado|respuesta|ergebnis|antwort|"
     r"risultato|risposta)\b(?:\s*\([^)]{0,40}\))?\s*[:=({\[].{0,200}?(?:instruction|consigne|l'assistant doit|"
     r"the assistant (?:must|should)|"
     r"the model (?:must|should)|for the (?:model|assistant|ai)|pour (?:l'assistant|l'ia|le modele)|ignore|"
     r"system (?:prompt|message)|message systeme|prompt systeme)"),
    RuleSpec("hidden_markup_instruction", ("<!--", "[//]", "[comment]", "display", "visibility", "hidden", "font-size",
                                           "color", "\"", "'"), "injection", 0.7,
     _MARKUP_HIDE + r".{0,160}?" + _HIDDEN_ORDER),
    RuleSpec("many_shot_dialogue", tuple(f"{who}{sep}:" for who in ("assistant", "ai", "ia", "bot", "asistente",
             "assistent",
                                                                   "ki", "gpt", "llm") for sep in ("", " ")),
     "role_override", 0.7,
     r"(?:\b" + _AI_TURN + r"\s?:.{0,300}?){2,}|\b" + _SPEAKER + r"\s?:.{1,300}?\b" + _AI_TURN
     + r"\s?:\s*(?:[\"'«“]\s*)?$|\b" + _AI_TURN + r"\s?:[^:]{0,120}?(?:sure|of course|bien sur|certainement|"
     r"claro|naturlich|certo)[^:]{0,80}?(?:is|are|est|sont|es|ist|e)\s*:\s*$"),
)

# Language switch. "Answer in another language, the rules don't apply / nobody checks there".
LANGUAGE_SWITCH: tuple[RuleSpec, ...] = (
    RuleSpec("language_switch_bypass", ("english", "french", "german", "spanish", "italian", "anglais", "francais",
                                        "allemand", "espagnol", "italien", "ingles", "aleman", "englisch", "deutsch",
                                        "inglese", "tedesco", "language", "langue", "idioma", "sprache", "lingua",
                                        "chin", "russ"), "injection", 0.65,
     _ANSWER_IN + r".{0,120}?" + _RULES_OFF + "|" + _RULES_OFF + r".{0,120}?" + _ANSWER_IN + "|"
     + _ANSWER_IN + r"(?: \w+){0,3}? (?:so that|so|pour que|afin que|para que|damit|cosi che|because|car|parce que|"
     r"porque|weil|perche) (?:\w+ ){0,6}?(?:rules|regles|filter|filtre|restriction|reglas|regeln|regole)\w*|"
     + _ANSWER_IN + r"[^.?!]{0,60}?[:,;-]\s*(?:\w+ ){0,4}?(?:what|quel(?:le)?|cual|was|qual)[\w']* (?:\w+ ){0,3}?"
     + _HIDDEN_OBJECT),
    # keyed on the words that void the rules (rarer than language names): every branch needs one
    RuleSpec("language_bypass_context", ("count", "exist", "matter", "apply", "only trained", "only written",
                                         "only set up",
                                         "only made", "only cover", "valent rien", "marchent pas", "cuentan", "zahlen",
                                         "gelten", "contano", "esistono", "nobody", "no one", "personne ne", "nadie",
                                         "niemand", "nessuno", "comme ca", "ainsi", "so that", "so the", "so your",
                                         "that way", "de cette facon", "asi", "damit", "cosi"), "injection", 0.7,
     r"(?:" + _ANSWER_IN + r"|" + _LANG_CONTEXT + r"|" + _LANGUAGE + r" (?:replies|answers|reponses|antworten|"
     r"respuestas|risposte))" + r".{0,120}?" + _RULES_VOID + r"|" + _RULES_VOID + r".{0,120}?(?:" + _ANSWER_IN
     + r"|" + _LANG_CONTEXT + r")|(?:reponds|repondez|reponde|ecris|parle|answer|reply|respond|antworte|responde|"
     r"rispondi)(?:-moi|-nous| me| mir| mi)? (?:en|in|auf) " + _LANGUAGE + r"[^.?!]{0,30}?(?:comme ca|ainsi|"
     r"so that|so|that way|de cette facon|asi|damit|cosi) (?:\w+ ){0,4}?(?:regles|consignes|rules|filters|filtres|"
     r"limites|"
     r"reglas|regeln|regole|restrictions)"),
)

# Encoded payload. Payloads to be decoded, translated or assembled, then executed: "translate / decode then do what
# it says", split payloads (a='…', b='…'. a+b).
ENCODED_PAYLOAD: tuple[RuleSpec, ...] = (
    RuleSpec("translate_then_execute", ("translat", "tradu", "ubersetz"), "injection", 0.7,
     r"(?:translate|traduis|traduisez|traduire|traduce|traduzca|ubersetze|ubersetzen|traduci)\w*\b.{0,160}?"
     r"(?:then|and then|and|puis|et ensuite|et|ensuite|y luego|y despues|y|und dann|dann|und|e poi|poi|e)\s+"
     + _EXECUTE + r"\b"),
    RuleSpec("decode_then_execute", ("decod", "decrypt", "deciph", "dechiff", "descifr", "entschl", "dekod", "decifr",
                                     "backwards", "envers", "reverse", "rot"), "injection", 0.75,
     _DECODE + r"\b.{0,160}?(?:then|and|puis|et|ensuite|y|und|dann|e|poi|,|:)\s+" + _EXECUTE + r"\b|"
     + _EXECUTE + r"\s+(?:\w+\s+){0,4}?(?:once |after |apres l'avoir |une fois )?(?:decoded|decode|dechiffre|"
     r"decodificad\w*|entschlusselt|decodificat\w*)"),
    RuleSpec("payload_split", ("=",), "injection", 0.7,
     r"(?:\b\w{1,12}\s*=\s*[\"'«“‘][^\"'»”’]{1,60}[\"'»”’][\s,;.]*(?:(?:and|et|y|und|e|let|soit|sea|sei)\s+)?){2,}"
     r".{0,120}?(?:\b\w{1,12}\s*\+\s*\w{1,12}\b|concat\w*|combine\w*|join\w*|assemble\w*|fusionne\w*|"
     r"junta\w*|zusammen\w*|unisci)"),
)

# Forced statement. Words put in the assistant's mouth: "say that the shop is a scam".
FORCED_STATEMENT: tuple[RuleSpec, ...] = (
    RuleSpec("forced_statement", ("that", "que", "dass", "che", "hate", "detest", "odi", "hass"), "injection", 0.55,
     r"(?:^|[.!?:;]\s*|\b(?:now|just|only|maintenant|juste|seulement|jetzt|nur|ahora|solo|ora)\s+)"
     r"(?:state|say|claim|declare|write|affirm|dis|dites|affirme[zr]?|declare[zr]?|ecris|pretends?|sag|sage|"
     r"behaupte|schreib|erklare|di|afferma|scrivi|dichiara|afirma|declara|escribe|di)\s+(?:\w+\s+)?"
     r"(?:that|que|qu'|dass|che)\s+.{0,60}?(?:is|are|was|est|sont|etait|ist|sind|war|es|son|era|e|sono)\s+"
     r"(?:\w+\s+)?(?:the best|the worst|superior|better than|le meilleur|la meilleure|le pire|la pire|meilleure? que|"
     r"der beste|die beste|das beste|besser als|el mejor|la mejor|mejor que|il migliore|la migliore|migliore di|"
     r"a scam|une arnaque|ein betrug|una estafa|una truffa|crazy|fou|folle|verruckt|loco|pazzo|stupid\w*|"
     r"the most (?:powerful|beautiful|important|dangerous|evil|corrupt)|le plus puissant|la plus puissante|"
     r"der machtigste|die machtigste|el mas poderoso|il piu potente|"
     r"idiot\w*|nul(?:le)?)|"
     r"(?:say|state|write|dis|dites|ecris|sag|schreib|di|scrivi|di|escribe)\s+(?:that )?(?:que |dass |che )?"
     r"(?:you hate|tu detestes|vous detestez|du hasst|odias|odi|i hate|je deteste|ich hasse|odio)\b"),
)

# Families whose rules read a request for another task or persona ("act as a travel guide", "write a
# Python script", "now you are my Spanish tutor"): an attack's first step, but also what harmless
# general-assistant requests look like. Their signals flag, and strengthen other evidence, but never
# block on their own or together with the n-gram model below its own block level (screener.py).
SOFT_FAMILIES: tuple[tuple[RuleSpec, ...], ...] = (TASK_HIJACK, PERSONA_SWITCH)

# Every family by name (the screener runs them all, after the core rules of rules.py).
FAMILIES: dict[str, tuple[RuleSpec, ...]] = {
    "instruction_override": INSTRUCTION_OVERRIDE,
    "task_hijack": TASK_HIJACK,
    "persona_switch": PERSONA_SWITCH,
    "prompt_extraction": PROMPT_EXTRACTION,
    "secret_extraction": SECRET_EXTRACTION,
    "indirect_injection": INDIRECT_INJECTION,
    "language_switch": LANGUAGE_SWITCH,
    "encoded_payload": ENCODED_PAYLOAD,
    "forced_statement": FORCED_STATEMENT,
}
