"""Regular expressions for French identifiers, with the NIR's key check."""

from __future__ import annotations

import re

#: A month, whole or abbreviated (`déc.`, not the start of `découvert`).
MONTHS = (
    "(?:janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|"
    "octobre|novembre|décembre|decembre|janv\\.?|févr?\\.?|avr\\.?|juil\\.?|sept\\.?|oct\\.?|"
    "nov\\.?|déc\\.?)"
    "(?!\\w)"
)
WEEKDAYS = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
#: Latin letters of French and of the names written in French notes (Polish,
#: Spanish, Portuguese, Czech, Turkish, Romanian, Vietnamese...: `Łukasz`,
#: `Iñaki`, `Wiśniewska`, `Yılmaz`, `Ștefan`, `Nguyễn`).
UPPER = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒÁÍÓÚÑÃÕÅØÝŁŃŚŹŻĆČŠŽŘĚĄĘŐŰİĞŞȘȚĂĐƠƯẠ-Ỹ"
LOWER = "a-zàâäçéèêëîïôöùûüÿæœáíóúñãõåøýłńśźżćčšžřěąęőűßığşșțăđơưạ-ỹ"
WORD = f"[{UPPER}][{LOWER}{UPPER}'’]+"  # a capitalised word
#: A word of a name: `Goff`, `O'Neill`, `Gougerot-Sjögren`, `LE`.
#: Breton `c'h` (`Guivarc'h`) is an apostrophe before a lower-case letter.
_NAME_LETTERS = f"(?:[{LOWER}{UPPER}]|['’][{UPPER}]|(?<=[cC])['’][hH])+"
NAME_WORD = f"[{UPPER}]{_NAME_LETTERS}(?:-[{UPPER}](?:{_NAME_LETTERS}|(?=-[{UPPER}])))*"
#: Particles written in lower case inside a name (`de La Fontaine`, `Van den Berghe`).
_LOWER_PARTICLE = (
    "de|du|des|la|le|van|von|den|der|da|das|dos|do|del|della|di|el|al|ben|ter|ten"
)
NAME_UNIT = rf"(?:(?:{_LOWER_PARTICLE}) )*(?:[dD]['’])?{NAME_WORD}"
#: An initial, single or compound (`P.`, `J.-M.`, `J-M.`).
INITIAL = rf"(?:[{UPPER}](?:\.?-[{UPPER}])?|Ch|Chr|Ph|Th)\."
#: One to five name units on one line, after an optional initial (`P. Marchand`).
NAME_SEQ = (
    rf"(?:{INITIAL} )?{NAME_UNIT}(?:(?: {{1,3}}|\t)(?!(?i:{MONTHS}) \d){NAME_UNIT}){{0,4}}"
    rf"(?: [{UPPER}]\.(?![{UPPER}{LOWER}]))?"
)
TITLE = (
    r"\b(?:(?:Monsieur|Madame|MONSIEUR|MADAME) (?:le|la|LE|LA) "
    r"(?:Docteur|Professeur|DOCTEUR|PROFESSEUR)|Drs?\.?|Prs\.?|DR\.?|Docteur|DOCTEUR|Pr\.?|PR\.?|Professeur|PROFESSEUR|M\.|Mr\.?|MR\.?|"
    r"Mmes?\.?|MME\.?|Mlle\.?|MLLE\.?|Melle\.?|MELLE\.?|Monsieur|MONSIEUR|Madame|MADAME|Mademoiselle|Me|Maître|"
    r"dr\.?|pr\.?|mme\.?|mlle\.?|mr\.?|madame|monsieur)"
)
TITLE_NAME = re.compile(rf"(?=[DPMdpm]){TITLE}[ \t]+({NAME_SEQ})")
#: Units written after a number: a year is never followed by one.
UNITS = (
    r"mg|g|kg|µg|mcg|ng|pg|ml|mL|dL|cL|l|L|UI|U|mmol|µmol|mol|mEq|%|mmHg|cmH2O|kcal|"
    r"cal|G|T|mm3|mm|cm|m|km|j|h|min|cp|gél|amp|ans?|mois|jours?|fois"
)
#: Digits not inside a longer number (`1,5`, `12.3`, `06 33 21 87 54, ...` is fine).
_START = r"(?<!\d)(?<!\d[.,])"
_END = r"(?!\d|[,.]\d)"

MAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(
    # not a date before its time (`07/12/2026 18:02`)
    rf"{_START}(?=[+0(])(?!\d\d/\d\d/\d{{4}})"
    rf"(?:(?:(?:\+|00) ?33[ .]?(?:\(0\)[ .]?)?|\(\+33\) ?|0)[1-9](?:[ .\-/]?\d{{2}}){{4}}"
    r"|(?<!\d )0[1-9] \d{2} \d{3} \d{3}"
    # a pair split by a scan or a typist: `06 39 98 4 4 17`, `0 2 . 6 1 . 9 1 . 3 0 . 7 7`
    r"|0 ?[1-9](?:(?: ?[.\-] ?| )\d ?\d){4}"
    # another country's or an overseas number: `+44 7911 123 456`, `+262 639 …`
    r"|\+(?!33)[1-9]\d{0,2}(?=(?:[ .\-]?\d){7,12}(?!\d))(?:[ .\-]?\d{1,4}){2,6})"
    rf"{_END}(?:,? \(?(?:poste|p\.|ext\.?|DECT) ?:? ?\d{{2,6}}\b\)?)?"
)
#: A phone number spoken and transcribed in words: `zéro trois cinquante-trois
#: zéro un quarante-huit vingt-deux` (the digits in words after `_NUMBER_WORDS`).
_DIGIT_WORD = "un|deux|trois|quatre|cinq|six|sept|huit|neuf"
#: A hospital's extension written alone: `poste 4417`, `DECT 5521`.
#: A pager too (`Bip 4571`); its digits may be grouped (`poste 45 310`, `bip 3 508`,
#: `poste 6 21 04`).
EXTENSION = re.compile(
    r"(?=[PpDBb])\b(?:[Pp]oste|POSTE|DECT|[Bb]ip|BIP) ?(?:n° ?)?:? ?(?:\d{3,5}|\d\d? \d{2,3}(?: \d\d)?)"
    r"(?!\d|[,./]\d)"
)
NIR = re.compile(
    rf"{_START}(?=[12])[12][ .]?\d{{2}}[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d{{2}}|2[AB])"
    rf"[ .]?\d{{3}}[ .]?\d{{3}}(?:[ .]?\d{{2}})?{_END}"
)
#: A number of 7 to 13 digits, with the letters that open it (`U2611904`,
#: `HCL-10028877`); before a slash only when a code follows (`8600441927/R26…`).
#: A NIR grouped oddly (`2360 62B0 3310 843`): kept when its key holds.
NIR_LOOSE = re.compile(
    r"(?=[12])(?<![\w.])[12](?:[ .]?[\dAB]){12}(?:[ .]?\d){2}(?![\w.])"
)
DIGITS = re.compile(
    r"(?=[A-Z\d])(?:(?<![\w-])[A-Z]{1,4}-?|(?<![\d/])(?<!\d[-.,]))(?=\d)\d{7,13}"
    r"(?!\d|/(?![A-Z])|[,.]\d)"
)
#: A number written in groups, or a short one, read only after an IPP or NDA label.
CUED_NUMBER = re.compile(
    rf"{_START}(?=\d)(?:\d+(?:[-./ ]\d{{3,}})+(?: \d\d?)?|\d+(?: \d{{2,}})+(?: \d)?|\d{{5,6}}){_END}"
)
#: An identifier of letters and digits (`69M0023871`, `B26-0045127`), read
#: only after an IPP or NDA label, with five digits at least (in `_detect`).
CUED_CODE = re.compile(
    r"(?=[A-Z0-9])(?<![\w/-])(?=[A-Z-]*\d)[A-Z0-9](?:[A-Z0-9]|-(?=[A-Z0-9])){4,19}(?![\w-])"
)
#: Labels of professionals' and forms' numbers, which are nobody's identifier.
PROFESSIONAL_CUE = re.compile(
    r"\b(?:RPPS|ADELI|FINESS|SIRET|SIREN|N° ?AM|cerfa)\s*(?:n°|no\.?)?\s*:?\s*$",
    re.IGNORECASE,
)
_DAY = r"(?:1(?:er|ᵉʳ)|0?[1-9]|[12]\d|3[01])"
#: A day in words: `trois`, `trente et un`, `premier`.
_DAY_WORD = (
    r"(?:premier|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|"
    r"quatorze|quinze|seize|dix-sept|dix-huit|dix-neuf|vingt(?:(?: et |-et-)un|-deux|"
    r"-trois|-quatre|-cinq|-six|-sept|-huit|-neuf)?|trente(?:(?: et |-et-)un)?)"
)
_UNIT = "un|deux|trois|quatre|cinq|six|sept|huit|neuf"
_TEEN = "dix-sept|dix-huit|dix-neuf|dix|onze|douze|treize|quatorze|quinze|seize"
#: 1 to 99 in words: `vingt-trois`, `soixante et onze`, `quatre-vingt-dix-neuf`.
_NUMBER_WORDS = (
    rf"(?:(?:vingt|trente|quarante|cinquante|soixante)(?:(?: et |-et-)(?:un|onze)"
    rf"|[- ](?:{_TEEN}|{_UNIT})(?![\w-]))?|quatre-vingts?(?:-(?:{_TEEN}|{_UNIT}))?"
    rf"|{_TEEN}|{_UNIT})"
)
PHONE_WORDS = re.compile(
    rf"\b(?i:zéro) (?i:{_DIGIT_WORD})(?: (?:(?i:zéro) (?i:{_DIGIT_WORD})|{_NUMBER_WORDS})){{4}}\b"
)
#: A year in words: `deux mille vingt-quatre`, `mille neuf cent trente-huit`.
_YEAR_WORDS = (
    rf"(?:deux mille|(?:mille|mil|dix-neuf) neuf cents?|dix-neuf cents?)"
    rf"(?:[- ]{_NUMBER_WORDS})?"
)
_DAY_MONTH = r"(?:0?[1-9]|[12]\d|3[01])[/.](?:0?[1-9]|1[0-2])"
DATE = re.compile(
    r"(?<![\d/])\b(?=[0-9acdfhjlmnopqstv])(?<!apgar )(?:"
    # a day and month after a weekday, abbreviated or not (`Lun. 30/11`), or
    # before a time (`6.12 21h15`)
    r"(?=\d)(?:(?<=\b(?:lun|mar|mer|jeu|ven|sam|dim)\. )|(?<=\b(?:lundi|mardi|jeudi) )"
    r"|(?<=\bsamedi )|(?<=\b(?:mercredi|vendredi|dimanche) ))"
    rf"{_DAY_MONTH}(?![\d/]|[.,]\d)"
    rf"|(?=\d)(?<!eva ){_DAY_MONTH}(?= \d{{1,2}}(?: ?h(?:\d\d)?\b|:\d\d\b))"
    r"|"
    rf"(?:(?:{WEEKDAYS}) )?(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:19|20)?\d{{2}}"
    r"|(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01]) (?:0?[1-9]|1[0-2]) (?:19|20)\d{2}"
    rf"|(?:(?:{WEEKDAYS}) )?{_DAY}[ -](?:{MONTHS})"
    rf"(?:[ -](?:19|20)\d{{2}}| {_YEAR_WORDS}| \d{{2}}(?! ?(?:{UNITS}|heures?|[/:])(?!\w)))?"
    rf"|(?:(?:{WEEKDAYS}) )?{_DAY_WORD} (?:{MONTHS})(?: (?:19|20)\d{{2}}| {_YEAR_WORDS})?"
    rf"|(?:{WEEKDAYS}) {_DAY}(?! ?(?:{UNITS}|heures?|comprimés?|[/:.,]\d)(?!\w))"
    rf"|{_DAY}(?=(?:, {_DAY})*(?:,| au| et| ou)(?: le)? (?:{_DAY} (?:{MONTHS})|{_DAY}[/.](?:0?[1-9]|1[0-2])\b))"
    r"|(?:(?<=\ble |\bdu |\bau |\bet )|(?<=\bles )|(?<=\()|(?<=\d\d [–-] ))(?:0?[1-9]|[12]\d|3[01])(?:[/.](?:0[1-9]|1[0-2])|/[1-9])"
    rf"(?! ?(?:{UNITS}|comprimés?|cps?|doses?|gélules?|sachets?|ampoules?|de|d['’])(?!\w))"
    r"|(?<![^\n])(?:0[1-9]|[12]\d|3[01])/(?:0[1-9]|1[0-2])(?=[ ,:])"
    rf"|(?:{MONTHS}) (?:19|20)\d{{2}}"
    r"|(?:0?[1-9]|1[0-2])/(?:19|20)\d{2}"
    r")(?![\d/])",
    re.IGNORECASE,
)
#: A date typed with spaces between its digits (`2 1 . 1 1 . 2 0 2 6`,
#: `04 / 04 / 1947`): read as a date in `_detect` when day and month are one.
SPACED_DATE = re.compile(
    r"(?<![\d/])(\d) ?(\d)? ?[./] ?(\d) ?(\d)? ?[./] ?(\d ?\d(?: ?\d ?\d)?)(?![\d/])"
)
#: A day of the month alone that names a date: `le 3 au soir`, `le 1er,`.
BARE_DAY = re.compile(
    r"(?<=\b[lL]e )(?:1er|[1-9]|[12]\d|3[01])"
    r"(?=[ \t]?[,;)\n]|[ \t]?\.(?!\d)|$| au (?:matin|soir)\b| dans la (?:nuit|matinée|soirée)\b"
    r"| à \d{1,2} ?h| pour\b| et le\b)"
)
#: A year alone: not inside a code (`TE-2026-1188`) nor after an acronym (`ESC 2020`).
YEAR = re.compile(
    rf"(?=[12])(?<![\d,./])(?<![A-Z]-)(?<![A-Z][A-Z] )(?:19[0-9]{{2}}|20[0-9]{{2}})(?![\d/]|[,.]\d| ?(?:{UNITS})\b| ?/|-\d{{3}})"
)
BIRTH_CUE = re.compile(
    r"(?:\bn[ée](?:\(e\)|e)?s?(?: (?-i:[A-ZÀ-Ý][\w'’-]+)){0,3}(?: à [^,\n]{1,50})?"
    r"(?: (?:le|en)|(?= ?:))|D\.?D\.?N\.?|(?-i:\bD\.?N\.?)"
    r"|date de naiss(?:ance|\.)|naissance(?: le)?)"
    r"\s*:?\s*$",
    re.IGNORECASE,
)
STREET_KINDS = (
    "rue|avenue|av\\.|boulevard|bd|place|allée|allee|impasse|chemin|route|quai|"
    "cours|square|passage|villa|cité|cite|résidence|residence|sentier|rond-point|"
    "faubourg|esplanade|promenade|voie|hameau|lieu-dit|parvis|chaussée|montée|traverse|"
    "ruelle|venelle|sente|rampe|clos|mail|domaine|lotissement|parc|cour|levée|côte|"
    "carrefour|zone artisanale|zone industrielle|ZA|ZI|ZAC|grand['’]rue|grande rue|"
    "carrer|calle|rua|hent|straed"
)
#: Words of a street's name: a dot only after an abbreviation (`St.`), not
#: after the name's last word (`des Peupliers.`).
_STREET_NAME = r"(?:[^,\n\d.;:()]|(?<![a-zà-ÿ]{4})\.)*"
#: What follows a street: `bât. B`, `appt 12`, `escalier C`, `3e étage`.
_COMPLEMENT = (
    r"(?:,? (?:bât(?:iment)?\.?|bat\.?|appt?\.?|appartement|esc(?:alier)?\.?|porte|"
    r"logement|log\.?) ?[A-Z0-9]{1,4}\b|,? \d{1,2}(?:e|er|ème) étage)*"
)
ADDRESS = re.compile(
    rf"(?=\d)\b\d{{1,4}}(?:-\d{{1,4}})?(?: ?(?:bis|ter|b))?,? (?:(?:{STREET_KINDS}|rte|chem)\b|(?:r|av|imp|all|pl|bd|chem)\.)"
    rf"{_STREET_NAME}"
    rf"(?:\d{{1,4}}(?!\d)[-\w]*{_STREET_NAME})?{_COMPLEMENT}",
    re.IGNORECASE,
)
#: A street in lower case, its name cut after one word after an article or two
#: without (`12 rue des lilas`, `3 avenue victor hugo`).
LOWER_STREET = re.compile(
    r"(?=\d)\b\d{1,4}(?: ?(?:bis|ter))?,? (?:rue|avenue|boulevard|impasse|allée|chemin|route) "
    r"(?:(?:de la|de l['’]|du|des|de|d['’]) ?[a-zà-ÿ-]{3,}|[a-zà-ÿ-]{3,}(?: [a-zà-ÿ-]{3,})?)\b"
)
#: A street named without its number (`avenue de la République`, `Résidence Les
#: Tilleuls`), or a postal box (`BP 123`, `CS 70001`).
STREET = re.compile(
    r"(?=[rabiqscplhfeRABIQSCPLHFEBT])(?<!\b[Aa]u (?!lieu-dit |hameau ))(?<!\b[Ee]n )(?<!EHPAD )(?<!Ehpad )"
    r"\b(?:(?i:rue|avenue|av\.?(?! O[DG]\b)|boulevard|bd|allée|impasse|"
    r"quai|square|chemin|route|place|résidence|lotissement|hameau|lieu-dit|cours|sentier|"
    r"cité|esplanade|promenade|parvis|faubourg|rond-point|montée|ruelle|venelle) "
    rf"(?:(?:de la|du|des|de|les|le|la) |d['’]|de l['’]|l['’])?(?:\d{{1,2}}(?:er)? )?{WORD}"
    rf"(?:[- ](?:{WORD}|de|du|des|la|les))*(?: (?:1[89]|20)\d\d(?!\d))?"
    r"|BP ?\d{1,5}|(?:CS|TSA) ?\d{3,5})"
    rf"(?i:{_COMPLEMENT})"
)
_CITY_LINK = r"(?:des|de|du|di|la|les|le|sur|sous|en|lès|et|\d{1,2}(?:er|e))(?![\w'’])"
_CITY = (
    rf"{WORD}(?:[- ](?!(?:CEDEX|Cedex)\b)(?:{WORD}|L'{WORD}|d'{WORD}|l'{WORD}|{_CITY_LINK})"
    rf"|-(?:à|aux|lez)(?=-))*"
)
ZIP_CITY = re.compile(
    rf"(?<![\w-])(?=\d)((?:0[1-9]|[1-8]\d|9[0-8])(?:(?<!\d \d\d) )?\d{{3}})(?!\d)[ ,]+({_CITY}(?: (?:CEDEX|Cedex)(?: \d{{1,2}})?)?)"
)
#: A town's name: `Lille`, `La Roche-sur-Yon`, `Villeneuve-d'Ascq`, `L'Haÿ-les-Roses`.
TOWN = (
    rf"(?:(?:Les?|La) |L['’])?{WORD}"
    rf"(?:-(?:{WORD}|sur|sous|en|lès|lez|les|la|le|de|des|du|et|à|aux|[dl]['’]{WORD}))*"
)
#: A capitalised name that may be a town, read against the communes in `_detect`.
TOWN_ANYWHERE = re.compile(
    rf"(?<![\w'’-])(?=[{UPPER}])((?:(?:Les?|La) |L['’])?{WORD}(?:(?:[- ](?i:sur|sous|lès|lez|en|"
    rf"les|le|la|de|des|du|aux|à|et)[- ]|-|[- ][dl]['’]|(?:(?<=Saint)|(?<=Sainte)|(?<=St)|(?<=Ste)"
    rf"|(?<=SAINT)|(?<=SAINTE)|(?<=ST)|(?<=STE)) )"
    rf"{WORD})*)(?![\w'’-])"
)
#: A place of birth: `né le 12/05/1961 à Dakar`, any name.
BIRTH_PLACE = re.compile(
    rf"\b[nN][ée](?:\(e\)|e)?s? (?:le|en) [^\n;]{{1,45}}? à ({TOWN}(?:(?: {TOWN}){{1,2}}(?=[ \t]*[-,.;(\n]|$))?)"
)
#: A town after a word that says where someone lives or comes from (`domiciliée
#: à`, `originaire de`, `habite`): any capitalised word; after a preposition
#: (`à`, `vers`, `sur`, `de`): a commune, read in `_detect`.
TOWN_AFTER = re.compile(
    r"(?<![\w'’-])(?=[hdrvnoàasejHDRVNOÀASEJ])(?:(?P<verb>(?i:habite|habitant|"
    r"(?:(?:domicilié|demeurant|résidant|réside|vit|vivant|installée?s?|n[ée](?:\(e\)|e)?s?) "
    r"(?:à|au|sur))|(?:originaire|natif|native) (?:de |d['’]))) ?"
    r"|(?P<cue>à|aux?|vers|sur|de|d['’]|depuis|entre|via|jusqu['’]à|(?i:près de|proche de)) ?)"
    rf"(?P<town>{TOWN})(?![\w'’-])"
)
#: A town before its département or its postcode: `Bailleul (59)`, `Ajaccio (2A)`,
#: `Orthez (64300)`.
TOWN_DEPARTMENT = re.compile(
    rf"(?<![\w'’-])({TOWN}) \((?P<zip>(?:0[1-9]|[1-8]\d|9[0-5]|2[AB])(?:\d{{3}})?|97\d(?:\d\d)?)\)"
)
#: A field that holds an address: what follows it on its line, up to the
#: postcode, is the address line (`Domicile : Résidence X, 8 rue Y, 2e étage,`).
ADDRESS_FIELD = re.compile(
    r"\b(?i:domicile|adresse|hébergée?|hébergement|demeurant|domiciliée?|réside)"
    r"(?i:[ \t]+(?:inchangée|actuelle|postale))?(?:[ \t]*\([^)\n]{0,20}\))?"
    r"[ \t]*(?::|\(|(?i:à|au)\b)[ \t]*"
)
#: A postcode after its label.
ZIP_FIELD = re.compile(
    r"\b(?i:code postal)[ \t]*:?[ \t]*((?:0[1-9]|[1-8]\d|9[0-8])\d{3})(?!\d)"
)
#: Between two parts of one address line: `Résidence X, bât. C, 12 rue Y`.
ADDRESS_GAP = re.compile(r"[ \t]*[,–—-][ \t]*")
#: A house's or a building's name before its street: `Maison Etxeberria, 3 chemin …`.
HOUSE = re.compile(
    rf"\b(?:Maison|Villa|Mas|Ferme|Immeuble|Chez) {WORD}(?: {WORD})?[ \t]*[,–—-]?[ \t]*$"
)
#: More towns after one: `à Roubaix, Wattrelos et Croix`.
TOWN_LIST = re.compile(rf"(?:, | et | ou |,? puis )({TOWN})")
#: The place of a letter: `Rennes, le 14 février 2023` (`Rennes, 14 février
#: 2023` when it is a commune).
LETTER_PLACE = re.compile(
    rf"^[ \t]*({WORD}(?:[- ](?:{WORD}|sur|sous|en|lès|la|le|[dl]['’]{WORD})"
    rf"|-(?:à|aux|lez|les|de|des|du)(?=-))*), (le )?(?=\d|1er|(?:{WEEKDAYS}|{_DAY_WORD}) )",
    re.MULTILINE,
)
#: An acronym beside a facility's name: `Hôpital X – GHICL`, `Institut Y (IPC)`.
FACILITY_ACRONYM = re.compile(
    r"[ \t]*(?:[–—-]|\()[ \t]*([A-Z][A-Z0-9]{1,7}[a-z]?[A-Z0-9]?)\b(?![-'’]| ?\d)"
)
#: An acronym before a facility's name: `CHBA – Centre Hospitalier …`, `IUCT-Oncopole – CHU …`.
ACRONYM_BEFORE = re.compile(
    r"(?<![\w'’-])([A-Z][A-Z0-9]{1,7}(?:-[A-Z][a-z]+)?)[ \t]*[–—-][ \t]*$"
)
#: A second name joined to a hospital's (`Hôpital Bichat – Claude-Bernard`): a
#: person's first name and surname joined by a hyphen; one name with the first.
FACILITY_SECOND = re.compile(
    rf"[ \t]*[–—-][ \t]*([{UPPER}][{LOWER}]+-[{UPPER}][{LOWER}]+)\b(?![-'’])"
)
#: A hospital's acronym before its towns, one name: `CHIVA Foix-Pamiers` (kept
#: when the first word is a commune, in `_detect`; a group's is apart: `GHPSO`).
ACRONYM_PLACE = re.compile(rf"\bCH[A-Z]{{2,4}} ({TOWN}(?: {WORD})?)")
#: A centre of any kind named after its town: `Centre Mémoire de Ressources et de
#: Recherche de Dijon` (kept when the town is a commune, in `_detect`).
CENTRE_OF_TOWN = re.compile(
    rf"\bCentre (?:[{LOWER}{UPPER}'’-]+ ){{1,7}}(?:de |d['’])({TOWN})(?![\w'’-])"
)
#: An establishment of a hospital before its name: `SSR gériatrique de l'Hôpital X`.
UNIT_OF_HOSPITAL = re.compile(
    r"\b(?:SSR|SMR|USLD|EHPAD|HAD|CMP|CSAPA|MAS|IME)(?: [a-zéèô-]+){0,2} "
    r"(?:de l['’]|de la |du |de )$"
)
#: Groups of hospitals named by their acronym alone (`GHICL`, `GHPSO`).
GROUP_ACRONYM = re.compile(r"\bGH(?!RH)[A-Z]{2,6}\b")
#: `Centre de Zuydcoote`: a centre named after its commune, or after a place
#: opening a line (read in `_detect`).
CENTRE_TOWN = re.compile(
    rf"(?=[ \tC])(?P<line>^[ \t]*)?(?P<centre>\bCentre (?:de |d['’])(?P<place>{TOWN}))",
    re.MULTILINE,
)
#: A town after a local service (`dispensaire de X`, `mairie de X`), read in `_detect`.
LOCAL_PLACE = re.compile(
    r"\b(?:dispensaire|maternité|mairie|PMI|CCAS|centre de santé|pharmacie|école|collège|"
    rf"lycée|foyer) (?:de |d['’])({TOWN})"
)
#: A place's or a person's name after a facility (`du Parc`, `Claude Huriez`,
#: `Les Jardins de Flore`, `de l'Artois`).
_PLACE = (
    rf"(?:(?i:de la|du|des|de|les|le|la) |(?i:de l|d|l)['’])?{WORD}"
    rf"(?:[- ](?:(?i:de|du|des|la|les|le|sur|en|et)[- ])*(?:{WORD}|[dl]['’]{WORD}))*"
)
#: A facility with its name; the whole of it is the hospital.
HOSPITAL = re.compile(
    r"(?=[HCGIPESUMcmhAFMN])\b(?:"
    r"(?:(?i:maison de santé(?: pluriprofessionnelle| pluridisciplinaire)?|cabinet médical|"
    r"centre de soins(?: de suite)?|centre médical|"
    r"centre de santé|centre de dialyse|centre médico-psychologique)) (?=d)"
    rf"|(?i:centre de rééducation(?: fonctionnelle)?) (?=d|[{UPPER}])"
    r"|(?:Centre|CENTRE|centre) (?:Hospitalier|hospitalier|HOSPITALIER)"
    r"(?: (?i:régional|universitaire|intercommunal|général|départemental|spécialisé))*"
    r"(?!(?i: de (?:jour|semaine|nuit)\b)) "
    r"|Centre (?!(?i:de|du|des|hospitalier|médical|ville|commercial|social|communal|sportif|"
    r"culturel|aquatique|administratif|historique|mémoire|antipoison|anti-poison|expert|"
    r"référent|de référence|ressources)\b)(?=[A-ZÀ-Ý])"
    r"|(?:(?:Nouvel|NOUVEL) )?(?:[Hh][ôo]pital|H[ÔO]PITAL|H[ôo]pitaux|Maternité|Clinique|CLINIQUE|(?<=la )clinique|Polyclinique|"
    r"POLYCLINIQUE|Institut|INSTITUT|CHRU|CHU|CHR|MAS|FAM|IME|IEM|ESAT|HAD|SESSAD|CAMSP|"
    r"Fondation|FONDATION|[Mm]aison de retraite|MAISON DE RETRAITE|"
    r"CHI|CHG|CHS|CH|GHT|GHU|GH|Groupe [Hh]ospitalier|GROUPE HOSPITALIER|EHPAD|Ehpad|SSR|SMR|"
    r"USLD|EPSM|EPSMR|CMPP?|CSAPA|CAARUD|CRCM|"
    r"Assistance [Pp]ublique ?[–—-]? ?H[ôo]pitaux)"
    r"(?: (?i:privée?|mutualiste|militaire|psychiatrique|local))?"
    r"(?!(?i: de (?:jour|semaine|nuit)\b)) |Hospices [Cc]ivils )"
    rf"{_PLACE}(?: [1-9](?![\w.,]))?|\bAP-?H[PM]\b|\bH[ôo]tel-Dieu\b"
    # a hospital's site named after a person or a place: `site Robert Debré`
    rf"|(?<=\b[sS]ite )(?!(?:Nord|Sud|Est|Ouest)\b)(?=[{UPPER}]){_PLACE}"
)
#: A facility of a speciality named after a person: `Clinique de génétique
#: Guy Fontaine` (kept when the first word is a first name, in `_detect`).
FACILITY_OF_PERSON = re.compile(
    r"\b(?:Clinique|Centre|Institut|Unité) (?:de |d['’])[a-zà-ÿ-]{3,}(?: [a-zà-ÿ-]{2,})? "
    rf"({NAME_WORD}) {NAME_WORD}"
)
#: A day or week unit named after its place: `hôpital de jour de Kerbrat`
#: (read in `_detect`: the place is no word of notes).
DAY_HOSPITAL = re.compile(
    rf"\b[hH][ôo]pital de (?:jour|semaine|nuit) (?:de |d['’]|du )({_PLACE})"
)
#: After a label: a qualifier of one or two words before a colon (`IPP chez
#: nous :`) or one word in capitals (`Séjour HAD`), then `n°` or a colon.
_NUMBER_WORD = (
    r"(?:(?: [\w'’]+){1,2} ?(?=:)| (?-i:[A-Z]{2,5}))?\s*(?:n°|no\.?)?\s*[:=]?\s*$"
)
IPP_CUE = re.compile(
    r"(?:IPP|NIP|N° ?(?:de )?patient|n° ?patient|identifiant patient|dossier|"
    rf"(?<!\w)(?:N/)?réf(?:\.|érence)?(?: patient)?){_NUMBER_WORD}",
    re.IGNORECASE,
)
NDA_CUE = re.compile(
    r"(?:NDA|N° ?(?:de )?séjour|n° ?séjour|séjour|venue|N° ?(?:d')?admission|"
    rf"n° (?:de )?passage|passage|(?:pré-?)?admission){_NUMBER_WORD}",
    re.IGNORECASE,
)
NIR_CUE = re.compile(
    r"(?:NIR|N° ?SS|sécurité sociale|INS|n° ?d'assuré)\s*:?\s*$", re.IGNORECASE
)
#: Carers and staff written beside a first name: `Kiné (Romain)`, `(Pascale, IDE)`.
ROLE = (
    r"kinés?|kinésithérapeutes?|psychologues?|diététicien(?:ne)?s?|ergothérapeutes?|"
    r"orthophonistes?|psychomotricien(?:ne)?s?|orthoptistes?|podologues?|sages?-femmes?|"
    r"assistante?s? sociale?s?|brancardiers?|manipulat(?:eur|rice)s?(?: radio)?|"
    r"éducat(?:eur|rice)s?|pharmacien(?:ne)?s?|IDEL?|IBODE|IADE|AS|ASH|AES|AVS|aides?[- ]soignante?s?|"
    r"infirmi(?:er|ère)s?|internes?|externes?|cadres?(?: de santé)?"
)
#: A name in brackets, after a role (`Kiné (Romain)`) or before one (`(Pascale, IDE)`).
ROLE_NAME = re.compile(rf"\(\s*({NAME_SEQ})\s*(?:(?P<after>\))|,\s*(?i:{ROLE})\s*\))")
#: Roles written beside a full name, before it (`IDE Nadège X`) or after it
#: and a comma (`X Y, interne`): the carers' roles and doctors' specialities.
_ROLE_BESIDE = (
    rf"(?i:{ROLE}|urgentiste|anesthésiste|chirurgien(?:ne)?|médecin|secrétaire|"
    r"conseill(?:er|ère)(?: en génétique| génétique)?|[a-zé]{2,12}logue|biologiste)"
)
#: `, interne`: a role after a comma, the name before it read with `NAME_BEFORE`.
COMMA_ROLE = re.compile(rf", {_ROLE_BESIDE}\b")
NAME_BEFORE = re.compile(rf"(?<![\w'’.-])({NAME_SEQ})$")
ROLE_THEN_NAME = re.compile(
    rf"(?<![\w'’-])(?=[{LOWER}{UPPER}]){_ROLE_BESIDE},? ({NAME_SEQ})"
)
#: A name spaced out letter by letter after a title (a scan): `Mme H U B E R`.
SPACED_NAME = re.compile(
    rf"(?=[DPMdpm]){TITLE}[ \t]+([{UPPER}](?: [{UPPER}]){{2,}})(?![\w.])"
)
#: A user's login after `édité par` in a print footer (`édité le … par jdupont`).
LOGIN = re.compile(
    r"\b(?:édité|imprimé|généré)e?(?: le [\d/.]{5,10}(?: (?:à )?\d{1,2}[:h]\d\d)?)? par "
    r"([a-z][a-z0-9._-]{3,15})\b"
)
#: A label's line: a barcode between stars, the name in capitals, the sex
#: (`*12345678*   DUPONT JEANNE   F   01021950`).
LABEL_LINE = re.compile(
    rf"\*\d{{6,}}\*[ \t]+([{UPPER}]{{2,}}(?:[- ][{UPPER}]{{2,}})?)[ \t]+([{UPPER}]{{2,}})[ \t]+[MF]\b"
)
#: A title in lower case, then a name in lower case (`vu par mme lefebvre`).
LOWER_TITLED = re.compile(
    r"(?<![\w.])(?:dr|pr|mme|mlle|mr|m\.|docteur|professeur|madame|monsieur) "
    r"([a-zàâäçéèêëîïôöùûüÿ][a-zàâäçéèêëîïôöùûüÿ'’-]{2,}"
    r"(?: [a-zàâäçéèêëîïôöùûüÿ][a-zàâäçéèêëîïôöùûüÿ'’-]{2,})?)"
)
#: A birth after a name: `monsieur durand paul né le …`.
BORN_AFTER = re.compile(r",? née? (?:le|en)\b")
#: Field labels after which a name is written: the surname, the first name, or
#: a person (patient, relative, member of staff).
FIELD = re.compile(
    r"\b(?=[npiesmacodrvkbtfNPIESMACODRVKBTF])(?i:(?:(?P<nom>nom(?: de naissance| d['’]usage| marital| de jeune fille| patronymique)?)"
    r"|(?P<prenom>pr[ée]noms?(?:\(s\))?)"
    r"|patiente?|personne à prévenir|personne de confiance|internes?|externes?|signataire"
    r"|médecin(?: traitant| référent| adresseur| responsable| correspondant)?"
    r"|aide[- ]soignante?|as|ash|cadre(?: de santé)?|ide|idec|ioa|ibode|iade|infirmi[eè]re?|opérateur"
    r"|chirurgien|anesthésiste|aide opératoire|chef de (?:service|clinique|pôle)"
    r"|praticiens? hospitaliers?|assistante?s?|docteur junior|destinataire|copies?(?: à)?"
    r"|correspondant|secrétaire"
    r"|kinés?|kinésithérapeute|psychologue|diététicienne?|ergothérapeute|orthophoniste"
    r"|psychomotricienne?|assistante? sociale|sage-femme|brancardier|pharmacienne?|parents?)"
    # a shift or a duty after a staff field: `IDE de nuit :`, `Interne de garde :`
    r"(?: (?:de|d['’]) ?(?:nuit|jour|garde|astreinte|liaison|coordination|soins))?\s*:"
    r"|\b(?:rédigée?|validée?|dictée?|signée?(?: électroniquement)?|adressée?|tapée?|frappée?|"
    r"relue?|saisie?|transcrite?)(?: le [\d/.]{5,10})? par\s*:?)\s*"
)
#: The fields of a mail's header that name people: `De :`, `À :`, `Cc :`
#: (read in a mail only: `A :` is also a nurse's action).
MAIL_HEADER = re.compile(r"^[ \t]*(?:De|À|A|Cci?|From|To)[ \t]*:[ \t]*", re.MULTILINE)
#: A field that only a mail's header has.
MAIL_MARK = re.compile(
    r"^[ \t]*(?:Objet|Envoyé|Sujet|Subject|Date d'envoi)[ \t]*:", re.MULTILINE
)
#: Relatives before their name: `sa fille Mme …`, `son époux, Jean …`.
RELATIVE = (
    r"fille|fils|mère|père|époux|épouse|mari|femme|conjointe?|compagne|compagnon|frère|"
    r"sœur|soeur|nièce|neveu|petite-fille|petit-fils|tante|oncle|cousine?|belle-fille|"
    r"belle-sœur|belle-soeur|beau-frère|gendre|beau-fils|belle-mère|beau-père|"
    r"grand-mère|grand-père|voisine?|tut(?:eur|rice)|curat(?:eur|rice)|aidante?|amie?|"
    r"concubine?|filleule?|parrain|marraine"
)
#: A role or a relative's word before a name in brackets (`Kiné (Romain)`).
ROLE_BEFORE = re.compile(rf"\b(?i:{ROLE}|{RELATIVE})\s*$")
RELATIVE_BEFORE = re.compile(
    rf"(?=[sSlLmMnN])\b(?i:sa|son|ses|leur|ma|mon|mes|notre|nos)\s+(?i:{RELATIVE})s?(?: (?:aînée?|ainée?|cadette?|unique))?"
    rf",? (?P<title>{TITLE}[ \t]+)?(?P<name>{NAME_SEQ})"
)
RELATIVE_AFTER = re.compile(
    rf"(?<![\w'’])(?=[{UPPER}])({NAME_WORD}(?: {NAME_WORD})?), (?:sa|son) (?:{RELATIVE})\b"
)
#: A word, then a surname with particles (`Jeanne de La Fontaine`): a name when
#: the word is a first name.
FIRST_THEN_PARTICLES = re.compile(
    rf"(?<![\w'’])(?=[{UPPER}])(?!M\. )({NAME_WORD}|{INITIAL}) "  # the surname in a lookahead: overlaps
    r"(?=((?:(?:[Vv]an|[Vv]on|[Dd]e|[Dd]u|[Dd]es|[Ll]e|[Ll]a|[Dd]a|[Dd]os|[Dd]as|[Dd]el|[Dd]i"
    rf"|[Ee]l|[Bb]en|[Aa]l|den|der|ter|ten) )+(?:[dD]['’])?{NAME_WORD}|[dD]['’]{NAME_WORD}))"
)
#: `la patiente Dubois`, `votre patient M. Dubois`.
PATIENT = re.compile(
    r"(?=[lLvVnNdDaà])\b(?:[Ll]e|[Ll]a|[Vv]otre|[Nn]otre|du|de la|au|à la) "
    r"(?:patiente?|malade|enfant|nourrisson|résidente?)"
    rf" (?P<title>{TITLE}[ \t]+)?(?P<name>{NAME_SEQ})"
    r"(?=[ \t]*(?:[,.;:()\n]|$)| (?:âgée?|née?|a|est|ayant|qui|que|vue?|revue?|admise?|\d))"
)
#: A nickname in quotes (`« Kiki »`), after a word that names someone by it
#: (`surnommé`, `l'appelle`, `son ami`, `sa nièce`): kept when no word, in `_context`.
NICKNAME = re.compile(rf"«\s*({NAME_WORD})\s*»")
#: The name a nickname follows: `Abdelaziz, « Aziz »`.
NAME_BEFORE_NICKNAME = re.compile(rf"(?<![\w'’-])({NAME_WORD}),?\s*$")
NICKNAME_CUE = re.compile(
    r"(?i:\bdite?s?|surnommée?s?|appel(?:le|lent|ait|aient)|\bamie?s?|copain|copine|"
    rf"messages? de|nouvelles de|{RELATIVE})\s*[,:]?\s*$"
)
#: A relative as a field of a family's history: `- grand-mère paternelle :
#: Odette` (kept when each word is a first name or no word, in `_context`).
RELATIVE_FIELD = re.compile(
    rf"(?:^[ \t]*[-•*]?|[(;])[ \t]*(?i:{RELATIVE})(?: (?i:paternel|maternel)le?)?"
    rf"(?: de (?:{TITLE} )?{NAME_WORD})?[ \t]*:[ \t]*"
    rf"(?:{TITLE}[ \t]+)?({NAME_SEQ})",
    re.MULTILINE,
)
#: Relatives named in brackets after their word (read before each ` (`):
#: `ses parents (Jean et Anne X)`.
RELATIVE_THEN_BRACKET = re.compile(rf"\b(?i:{RELATIVE}|parents?)s? $")
#: A relative's word or a role in brackets (`(mère, 06 …)`, `(IDE référente)`), after a name read with
#: `NAME_BEFORE_BRACKET` (kept when each word is a name or no word, in `_context`).
RELATIVE_BRACKET = re.compile(rf"\((?i:{RELATIVE}|parents?|(?P<role>{ROLE}))s?\b")
#: The name of one or two words before it: `Jean Dupont (père)`, not `Appeler`
#: of `Appeler Jean Dupont (père)`.
NAME_BEFORE_BRACKET = re.compile(rf"(?<![\w'’-])((?:{NAME_WORD} )?{NAME_UNIT}) $")
#: A first name, then the same person's initial and surname in brackets:
#: `Maïa (M. Dupont)`.
NAME_ALIAS = re.compile(rf"(?<![\w'’-])({NAME_WORD}) \((([{UPPER}])\.) ({NAME_UNIT})\)")
#: `née Marchand`, `épouse Dubois` after a name: the birth or married name.
MAIDEN = re.compile(rf"(?=[névÉ])\b(?:née|ép\.|veuve|(?<![Ss]on )épouse) ({NAME_SEQ})")
#: `Cher Paul,`, `Salut Paul,`: a salutation to someone by their name.
SALUTATION = re.compile(
    r"(?=[cCsSbB])\b(?:Cher|Chère|cher|chère|CHER|CHÈRE|(?i:salut|bonjour|bonsoir|coucou)) "
    r"(?!(?i:confr[eè]res?|cons(?:œ|oe)urs?|coll[eè]gues?|amie?s?|patiente?|monsieur|madame|"
    r"mademoiselle|messieurs|mesdames|docteur|professeur|maître|tous|toutes|équipe)\b)"
    rf"({NAME_SEQ}) ?[,!]"
)
#: A line holding only a name, as in signatures and address blocks.
NAME_LINE = re.compile(
    rf"^[ \t]*(?!{TITLE}[ \t])({NAME_SEQ})[ \t]*,?[ \t]*$", re.MULTILINE
)
#: An initial before a surname: the first name (`J. Dos Santos`).
INITIAL_BEFORE = re.compile(rf"(?<![\w.'’-])(?!M\. )({INITIAL}) $")
#: An initial after a first name: the surname (`Sabrina M.`, `Kelly D.`).
INITIAL_AFTER = re.compile(rf"[ \t]([{UPPER}])\.(?![\w.])")
#: A surname in capitals, then an initial: `KERJEAN P.` (kept when no word, in
#: `_context`).
UPPER_THEN_INITIAL = re.compile(
    rf"(?<![\w'’-])([{UPPER}]{{4,}}(?:[- ][{UPPER}]{{2,}})?) [{UPPER}]\.(?![\w.])"
)
#: A name in capitals between a label's barcode bars, often cut short: the
#: surname, then the first name (`||| DUPO JEAN |||`).
BARCODE_NAME = re.compile(
    rf"\|\|[ \t]+([{UPPER}]{{2,}}(?:[- ][{UPPER}]{{2,}})?)[ \t]+([{UPPER}]{{2,}})[ \t]+\|\|"
)
#: A patient's banner: a name opening a line, then an IPP, a birth date or an
#: age (`DUPONT Reine - IPP 8004455`, `DUPONT Reine, née le …`).
BANNER = re.compile(
    rf"^[ \t]*(?!{TITLE}[ \t])({NAME_SEQ})[ \t]*(?:[-–—,(]|$)[ \t]*(?=(?i:IPP|NIP|NDA|née?|DDN|D\.N\.|date de naiss)"
    rf"|\d{{1,2}}/\d{{1,2}}/\d{{4}}|\d{{1,3}} ans\b)",
    re.MULTILINE,
)
#: Lines that follow a name in a signature or a letterhead: a function, a unit,
#: an address, a salutation.
FUNCTION_LINE = re.compile(
    r"[ \t]*(?i:praticien|ph\b|chef de|interne|externe|médecin|docteur|assistante?|"
    r"professeur|pu-ph|mcu|maître de conf|cadre|infirmi|ide\b|ibode|iade|sage-femme|kiné|"
    r"psycholog|diététicien|secrétaire|ergothérap|orthophon|pharmacien|anesthési|chirurgi|"
    r"\w+logue\b|service|unité|pôle|département|h[ôo]pital|chu\b|centre hospitalier|"
    rf"clinique|rpps|adeli|tél|fax|cher|chère|madame|\d{{1,4}}(?: ?(?:bis|ter))?,? (?:{STREET_KINDS})\b|"
    r"\d{5} )"
)
#: A closing line, before the signatory's name.
CLOSING = re.compile(
    r"(?i:confraternel|cordial|amical|amitiés|bien à vous|à bientôt|bises|salutations|"
    r"respectueu|dévoué|sentiments|bonne (?:soirée|journée|fin de journée|semaine|garde)|"
    r"merci d['’]avance)"
)


def nir_key_ok(text: str) -> bool:
    """Whether a 15-character NIR's key is 97 − (first 13 digits mod 97)."""
    digits = re.sub(r"[ .]", "", text).upper()
    if len(digits) != 15:
        return False
    body = digits[:13].replace("2A", "19").replace("2B", "18")
    if not body.isdigit() or not digits[13:].isdigit():
        return False
    return 97 - int(body) % 97 == int(digits[13:])
