"""The demand part of a posting: its text without company, benefits, legal and how-to-apply parts.

Why: LABELING.md counts an area only when the posting *asks* for it. The same words in the company
description ("a cybersecurity company", "our passionate team"), the benefits ("conference budget",
"collaborative culture"), the equal-opportunity or privacy statement ("personal data") or the application
instructions are not demand, and skill matching on the raw text over-counts them.

How: the text is cut into units (lines; headings, also where flattened text glues them to the next
sentence as in "About UberWe're changing…"; sentences; glued bullets) and walked once:

* a heading switches the section. Demand headings ("Requirements", "What you'll do", "About you") keep;
  benefits, legal and application headings ("Perks", "EEO statement", "How to apply") drop the units
  that follow until a demand heading or a plain requirement sentence ("3+ years of experience with…");
  company headings ("About us", "Who we are") drop until a demand heading or the first sentence that
  speaks about the role or the candidate;
* a kept unit is still dropped when it is boilerplate by itself: EEO and legal sentences, benefit and pay
  sentences, application instructions, privacy notices, "<Company> is a leading provider of…".

Only regular expressions over the original string (no HTML parser, no model). Kept units keep their
original characters, so offsets inside a kept unit are unchanged.
"""
from __future__ import annotations

import bisect
import functools
import re

from pipeline.prefilter import Candidates, CandidateScanner

__all__ = ["demand_text"]

# ---- section headings ---------------------------------------------------------------------------
# Heading phrases by kind: regular expressions matched case-insensitively against a whole heading.
# "inline" phrases are also looked for inside flattened lines; "line" phrases only as a line of their own
# (they are too common inside sentences: "Summary", "Why Acme", "Notices").
_HEADINGS: dict[str, dict[str, list[str]]] = {
    "demand": {
        "inline": [
            r"(?:key |primary |core |main |essential |principal |job |role |position |your |major |general )?"
            r"(?:duties|responsibilities|accountabilities)(?: (?:and|&) (?:duties|responsibilities|qualifications))?(?: include)?",
            r"(?:minimum |basic |preferred |required |desired |additional |key |job |position |technical |other |must[- ]have )?"
            r"(?:qualifications|requirements|skills|competencies)"
            r"(?: (?:and|&|/) (?:experience|qualifications|education|requirements|abilities|skills))?",
            r"(?:required |preferred |desired |relevant )?(?:experience|education)(?: requirements| required)?",
            r"education(?:al)? (?:and|&) experience|knowledge,? skills,? (?:and|&) abilities",
            r"what (?:you['’]ll|you will|you) (?:do|be doing|bring|need|work on|get to do)(?: to the table)?",
            r"what (?:we['’]re|we are) looking for|who (?:you are|we['’]re looking for|we are looking for)",
            r"what you (?:have|need|bring)|you (?:will|have|bring)|in this role,? you will",
            r"about (?:you|the role|this role|the job|this job|the position|this position|the opportunity)",
            r"about (?:the |our |this )?[\w&' -]{0,40}\b(?:team|role|position|opportunity|job|group|department)",
            r"(?:the )?(?:role|position|opportunity)(?: description| summary| overview| details)?",
            r"(?:job|position|role) (?:description|summary|overview|details|purpose)|your impact|impact you['’]ll make",
            r"(?:nice|good) to haves?|bonus points|pluses|must haves?|(?:desired|preferred) characteristics|example projects",
            r"tech(?:nology)? stack|tools we use|day[- ]to[- ]day",
        ],
        "line": [r"description|summary|overview|job|bonus|preferred|desired|required|essential functions|the team"],
    },
    "about": {
        "inline": [
            r"about us|about (?:the|our) company|company (?:description|overview|profile|summary|information|background)",
            r"who (?:we are|are we)|what we do|our (?:mission|story|vision|values|culture)|get to know us",
            r"life at \S+(?: \S+)?|culture at \S+(?: \S+)?|about the organi[sz]ation|our organi[sz]ation|core values",
        ],
        "line": [r"(?:the )?company|(?:the )?mission|values|culture"],
    },
    "drop": {
        "inline": [
            # benefits and pay
            r"(?:featured |our |employee |additional |great |amazing )?(?:benefits|perks)"
            r"(?: (?:and|&) (?:perks|benefits|compensation))?(?: summary| package| overview| include)?",
            r"(?:what|here['’]s what) we (?:offer|provide|give)(?: you)?|we offer|what['’]s in it for you",
            r"what you['’]ll (?:get|love about \S+(?: \S+)?)|what we['’]ll bring|why you['’]ll love working here",
            r"(?:total )?(?:compensation|rewards)(?: (?:and|&) (?:benefits|equity|perks))?",
            r"(?:pay|compensation) (?:and|&) benefits|(?:salary|pay|compensation) (?:range|details|information|transparency)",
            r"(?:\w+ )?pay range|why (?:join us|work (?:here|with us|at \S+)|you should join)",
            # equal opportunity, legal, privacy
            r"(?:an )?equal (?:employment )?opportunity(?: employer| statement| policy)?(?:/\S+)*|eeo(?:/aa)?(?: statement)?",
            r"(?:our )?commitment to (?:diversity|inclusion|equity)[ ,&\w]*|diversity(?:,? equity)?(?:,? (?:and|&) inclusion)",
            r"(?:\w+ )?privacy (?:notice|statement|policy)|(?:accessibility and )?candidate notices?|notices",
            r"reasonable accommodations?|e-?verify|pay transparency",
            r"(?:note )?(?:to|for) (?:all )?(?:recruit(?:ment|ing)? )?(?:agencies|recruiters)(?: and placement agencies)?",
            # application instructions
            r"how to apply|apply now|application (?:instructions|process)|special instructions|(?:the )?interview process",
        ],
        "line": [
            r"why \S+(?: \S+)?|why \S+(?: \S+)? (?:is|could be) (?:a |the )?(?:great|right|perfect|best) (?:choice|place|fit)(?: for you)?",
            r"pay|salary|disclaimer|legal(?: notice)?|notice|diversity|work authori[sz]ation|(?:visa )?sponsorship",
            r"to apply|next steps|please note",
        ],
    },
}
# "About Acme" / "Who is Acme?" (a capitalised name) is a company heading unless a demand form matched.
_ABOUT_NAME = (r"(?:[Aa]bout|ABOUT) (?!(?:[Yy]ou|YOU)\b)[A-Z][\w&'’.-]*(?: [A-Z][\w&'’.-]*){0,2}"
               r"|(?:[Ww]ho|WHO) (?:[Ii]s|IS) [A-Z][\w&'’.-]*(?: [A-Z][\w&'’.-]*){0,2}\??")


def _alt(phrases: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in phrases)


_HEADING_WHOLE = {
    kind: re.compile(_alt(forms["inline"] + forms["line"]), re.IGNORECASE) for kind, forms in _HEADINGS.items()
}
_ABOUT_NAME_WHOLE = re.compile(_ABOUT_NAME)
_HEADING_STRIP = re.compile(r"^[\s*#•·\-–—>●▪]+|[\s:.\-–—]+$")
_HEADING_MAX = 70
_GENERIC_HEADING = re.compile(r"(?:job |position )?(?:description|overview|summary)", re.IGNORECASE)
# An unknown short heading naming the role or the candidate ("What's the role?", "JOB DEFINITION:").
_SENTENCE_INSIDE = re.compile(r"[.!;]\s")
_ROLE_WORD = re.compile(r"\b(?:role|job|position|responsibilit|dut(?:y|ies)|requirements?|qualifications?|skills?|experience"
                        r"|expectations|what you|who you|you['’]ll|you will|ideal candidate|looking for|profile|competenc)",
                        re.IGNORECASE)

# A heading inside a line starts the line, follows a sentence end or is glued to the previous word, and is
# followed by ":", a dash, the next capitalised word glued to it ("QualificationsPython", "Perks:Free"),
# or the end of the line. The first look-ahead keeps the scan cheap.
_INLINE = re.compile(
    r"(?=[A-Z])(?:^|(?<=[\n\sa-zA-Z0-9.!?;:)\]’'\"”]))"
    rf"(?P<h>(?i:{_alt([p for forms in _HEADINGS.values() for p in forms['inline']])})|{_ABOUT_NAME})"
    r"(?P<after>\s*:|\s+[-–—]\s|(?=[A-Z0-9•·(])|\s*$|\s*\n|\s+(?=[A-Z]))"
)
# Followed only by a space and a capital ("What We Offer An amazing…"), a heading needs two or more words
# and must start a sentence; glued or colon-ended headings need neither.
_SENTENCE_START = re.compile(r"(?:^|[\n.!?:]\s*|\s\s)$")
# Generic single words found inline count only with a colon ("Compensation: …"), never glued to a name.
_INLINE_NEEDS_COLON = re.compile(r"(?:compensation|rewards|notices)", re.IGNORECASE)

# ---- units --------------------------------------------------------------------------------------
_SPLIT = re.compile(
    r"(?=\s)(?<=[.!?])\s+(?=[A-Z0-9\"“(•·*\-])"              # sentence end
    r"|(?=[A-Z])(?<=[a-z0-9)][.!?])"                         # flattened text: "…our team.About Uber"
    r"|(?=[A-Z][a-z])(?<=[a-z]\))"                           # "…(Hive/Hadoop)Apply"
    r"|(?=[-•·]\s?[A-Z])(?<=[.!?])"                          # "…to apply.- Strong working knowledge"
    r"|(?=[A-Z][a-z])(?<=[a-z]{2})"                          # glued bullets: "latencyPredict" (see _glued)
    r"|(?=[\s•·●▪Ø])\s*(?=[•·●▪Ø]\s?)"                       # inline bullet characters
    # "…ad tech industry We are an equal opportunity employer", "…abilities JLL is committed to developing…"
    r"|(?=\s)(?<=[a-z0-9.)])\s+(?=(?:[A-Z][\w&.'’-]*\s){1,4}(?:is|are) (?:an? |proud to be an? |committed to )"
    r"(?:equal|eeo|affirmative|diversity|developing|building|providing|fostering))"
)
_SPLIT_STARTS = r"\sA-Z\-•·●▪Ø"  # every match of _SPLIT starts at one of these (see the look-aheads)


def _glued(text: str, pos: int) -> bool:
    """A lower-to-upper change inside a word separates glued bullets only when the left word is all
    lower case ("latencyPredict"), not inside names such as "TransUnion" or "JavaScript"."""
    i = pos
    while i > 0 and text[i - 1].isalpha():
        i -= 1
    return text[i].islower()


# ---- scanning only where a match can start ------------------------------------------------------
# Python's regex engine tries a pattern that opens with a look-around at every position; one that opens
# with a character class it tries only at the characters of that class (a fast scan in C). `_starts`
# turns a pattern whose every match starts at a character of `first` into such a scanner: at each such
# character it looks ahead for the pattern (group "_m" holds the match the pattern itself would give
# there) and `_finditer` keeps the matches that `pattern.finditer` returns: the first one at or after the
# end of the previous one. After an empty match `finditer` needs a non-empty one at the same position;
# the patterns here never have both at one position (empty matches of _SPLIT are at non-space characters,
# its non-empty ones start with a space; _INLINE matches are never empty), so it takes the next position.
def _starts(pattern: re.Pattern, first: str) -> re.Pattern:
    return re.compile(rf"[{first}](?<=(?=(?P<_m>{pattern.pattern}))[\s\S])", pattern.flags)


def _finditer(scanner: re.Pattern, text: str, start: int, end: int):
    last_end, last_empty = start, False
    for m in scanner.finditer(text, start, end):
        s, e = m.span("_m")
        if s < last_end or (s == last_end and last_empty):
            continue
        last_end, last_empty = e, s == e
        yield m


_SPLIT_SCAN = _starts(_SPLIT, _SPLIT_STARTS)
_INLINE_SCAN = _starts(_INLINE, "A-Z")  # _INLINE opens with (?=[A-Z])


def _matches(scanner: re.Pattern, found: Candidates | None, text: str, start: int, end: int):
    """(start, end, match) of each match `_finditer` keeps: found by the scanner, or (the text's RE2
    candidates, pipeline/prefilter.py) by trying the pattern at the candidate positions only. Same matches."""
    if found is None:
        return [(*m.span("_m"), m) for m in _finditer(scanner, text, start, end)]
    if not found.any_in(start, end):
        return []
    kept = []
    last_end, last_empty = start, False
    for m in found.matches_at_each(start, end):
        s, e = m.span()
        if s < last_end or (s == last_end and last_empty):
            continue
        last_end, last_empty = e, s == e
        kept.append((s, e, m))
    return kept


# ---- boilerplate sentences (matched on the lower-cased text) -----------------------------------
_EEO = (
    r"equal (?:employment )?opportunit|affirmative action|without regard to|regardless of (?:their )?(?:race|age|sex|gender|religion|colou?r|national)"
    r"|protected (?:veteran|class|characteristic|status|by (?:applicable |federal |state )?law)|sexual orientation|gender identity"
    r"|reasonable accommodation|e-?verify\b|drug[- ]free|fair chance|criminal histor|arrest and conviction"
    r"|eeo(?:c)?(?: employer| statement| policy|/aa|/m/f)|diverse and inclusive|inclusive (?:and|&) diverse|diversity,? equity"
    r"|(?:inclusive|diverse) (?:workplace|workforce|environment|culture)|diversity (?:and|&) inclusion|underrepresented|all qualified applicants"
    r"|veteran status|know your rights|drug (?:test|screen)|pre-employment (?:drug|screen)"
    r"|at-will|(?:celebrates?|values?|embraces?) diversity"
)
_PRIVACY = (
    r"privacy (?:policy|notice|statement|consent)|(?:collect|process|retain|use|store|share|handle)\w* "
    r"(?:and \w+ )?(?:your |the |any )?personal (?:data|information)|personal (?:data|information) (?:we|you|that you) "
    r"(?:collect|provide|submit)|candidate (?:data|privacy)|(?:safeguard|protect|respect)\w* your privacy|personally identifiable information \(pii\) (?:may|will) be"
)
_BENEFITS = (
    r"401\s?\(?k\)?|403\s?\(?b\)?|(?:medical|health),? (?:and )?dental|dental(?:,| and| &) vision|dental (?:insurance|coverage|plans?|benefits)"
    r"|(?:vision (?:insurance|coverage|plan|benefits)|health (?:insurance|benefits|care plans?|coverage)|medical (?:insurance|coverage|benefits))"
    r"(?! (?:claims|data|industry|products|company|companies|carriers?|markets?|domain|analytics|providers?|plans? data))"
    r"|life insurance|disability insurance|paid (?:time off|holidays|vacation|parental|maternity|paternity|sick|leave)"
    r"|pto\b|parental leave|maternity|paternity|tuition (?:reimbursement|assistance)|(?:stock|equity) (?:options?|grants?|plan|package|compensation)"
    r"|employee stock|espp\b|competitive (?:salary|salaries|pay|compensation|benefits|base)"
    r"|(?:our|comprehensive|competitive|great|excellent|generous|full|attractive|robust|complete|rich|flexible) (?:\w+ )?benefits? (?:package|plan|program|offering)"
    r"|benefits include|retirement (?:plan|savings|benefits|program)|commuter|gym\b|fitness (?:reimbursement|center|stipend)"
    r"|catered (?:daily )?(?:lunch|lunches|meals?|breakfasts?|dinners?|food)|free (?:lunch|snacks|meals|food)|snacks|happy hours?|wellness (?:stipend|program|benefits)"
    r"|(?:learning|education|development|conference|wellness|home office) (?:and development )?(?:stipend|budget|allowance|reimbursement)"
    r"|flexible (?:spending|pto|time off|vacation)|unlimited (?:pto|vacation|time off)"
    r"|salary range|pay range|base (?:salary|pay)|compensation (?:package|range|philosophy)|total compensation|on-target earnings|ote\b"
    r"|(?:actual |starting |annual )?(?:salary|pay|compensation) (?:will|may|is|offered|depends|varies|ranges?)\b"
    r"|\$\s?\d[\d,.]*\s?k?\s*(?:-|–|—|to)\s*\$?\s?\d|per hour|hourly (?:rate|range)|sign-on bonus|relocation (?:assistance|package)"
    r"|eligible for (?:an? )?(?:annual |performance )?(?:bonus|equity|benefits)|holidays off|\d+ (?:paid )?holidays"
)
_APPLY = (
    r"(?:how|wish|want|like|interested|ready) to apply|to apply(?:,| for (?:this|the|our) (?:job|position|role|opportunity))"
    r"|apply (?:now|online|today|here|directly|via|through)\b|click (?:the )?(?:\"?apply|here)|easy apply"
    r"|(?:send|submit|email|forward) (?:us )?(?:your |a |an )?(?:updated )?(?:resume|cv|résumé|application|cover letter)"
    r"|interested (?:candidates|applicants|parties)|unsolicited (?:resume|agency|applications)|recruit(?:ment|ing)? agenc"
    r"|third[- ]party (?:recruit|agenc|vendor)|agency (?:resume|fee)|placement fee|referral bonus|refer (?:us|a friend)"
    r"|we love referrals|follow-up email|applications? will be (?:accepted|reviewed)|job id\b|requisition (?:id|number)"
    r"|(?:will|would) never ask (?:you )?(?:for|to)|recruit\w* (?:fraud|scams?)|(?:fraudulent|fake|suspicious) (?:job|recruit\w*|offers?|postings?|emails?|messages?)"
    r"|put your (?:passion|skills|talents?|career) to work at|encourage(?:d)? (?:you )?to apply|still apply|apply anyway|meet (?:100%|every)|(?:to )?learn more about (?:us|our (?:company|culture|benefits|team)|working at|life at)"
    r"|for more information,? (?:please )?visit|visit (?:us at|our (?:website|careers))"
)
# Every form starts at a word start (or with "$"); the look-arounds let the scan skip other positions.
_BOILERPLATE = re.compile(rf"(?=[a-z0-9$])(?<![a-z0-9])(?:{_EEO}|{_PRIVACY}|{_BENEFITS}|{_APPLY})")


@functools.cache
def _scanners() -> tuple[CandidateScanner, CandidateScanner]:
    """RE2 candidates (pipeline/prefilter.py) for the text's scans and for the lower-cased text's.
    Every _INLINE match starts with a heading phrase, so the phrases alone are its candidates."""
    phrases = [rf"(?i:{p})" for forms in _HEADINGS.values() for p in forms["inline"]] + [_ABOUT_NAME]
    return (CandidateScanner({"inline": _INLINE, "split": _SPLIT}, {"inline": phrases},
                             {"inline": "[A-Z]", "split": f"[{_SPLIT_STARTS}]"}),
            CandidateScanner({"boilerplate": _BOILERPLATE}, first={"boilerplate": "(?<![a-z0-9])[a-z0-9$]"}))

_COMPANY_NOUN = (r"compan(?:y|ies)|firm|startup|start-up|organi[sz]ation|leader|provider|platform|employer|agency|institution"
                 r"|enterprise|brand|marketplace|consultancy|manufacturer|supplier|non-?profit|factory|laboratory|institute"
                 r"|university|hospital|health system")
_COMPANY = re.compile(
    # "<Company> is a leading provider …" (subject: capitalised words, not a pronoun or a job title)
    r"^(?!(?:The|This|That|These|Those|It|You|We|I|He|She|They|Each|Every|All|Any|Experience|Knowledge)\b)"
    r"(?![^,]*?\b(?:Analyst|Engineer|Scientist|Manager|Developer|Intern|Specialist|Associate|Lead|Director|Architect"
    r"|Consultant|Role|Position|Team|Candidate)s?\b[^,]*?\s(?:is|are|was)\s)"
    r"[A-Z][\w&.'’-]*(?:\s(?:[A-Z][\w&.'’-]*|of|and|&|for)){0,4}\s(?:is|are|was|has been|have been)\s"
    r"(?!(?:a |an |the )?(?:\w+ )?(?:plus|must|bonus|requirement|prerequisite|preferred|required|nice|minimum)\b)"
    rf"(?=.*\b(?:{_COMPANY_NOUN}|founded|headquartered|industry|mission|funded|backed|investors|offices|businesses|forefront"
    r"|pioneer\w*|world['’]s)\b)"
    r"|^At [A-Z][\w&.'’-]*(?: (?:[A-Z][\w&.'’-]*|and|&|of)){0,5},? (?:we|our)\b"
    r"|^We(?:['’]re| are) (?:proud|committed|backed|funded|trusted|headquartered|based|one of)\b"
    r"|^We(?:['’]re| are) (?:\w+ )?(?:focused on|dedicated to|obsessed with|on a mission|transforming|changing|revolutioni[sz]ing)\b"
    rf"|^We(?:['’]re| are) (?:a|an|the)\b(?=.*\b(?:{_COMPANY_NOUN})\b)"
    r"|^We (?:believe|value|celebrate|pride|strive|aim|continue|have (?:grown|built|raised|been)|were (?:founded|named|recognized))\b"
    r"|^[A-Z][\w&.'’-]*(?: [A-Z][\w&.'’-]*){0,3} (?:has|have) (?:changed|been|built|grown|become|helped|transformed|revolutionized"
    r"|pioneered|raised|served|developed|created|established)\b"
    r"|^Our (?:mission|vision|goal|purpose|values|culture|story|customers|clients|investors|founders|company)\b"
    r"|^Our (?:team|people|employees|engineers) (?:is|are) (?:passionate|committed|dedicated|proud|a|an)\b"
    r"|^(?:Founded|Headquartered|Established|Incorporated) (?:in|by)\b|^Join (?:us|our team)\b|^As a (?:company|team|startup)\b"
)
# A unit about the role or the candidate: ends a company section and is never a company sentence.
_ROLE_SIGNAL = re.compile(
    r"\b(?:you|your|you['’](?:ll|re|ve|d))\b|\bcandidates?\b|\bapplicants?\b|\bwe(?:['’]re| are) (?:looking|seeking|searching|hiring)\b"
    r"|\b(?:the|this|our|a) (?:ideal |successful |right )?(?:role|position|job|hire|incumbent|opening)\b"
    r"|\b(?:looking|seeking|searching|hiring) (?:for )?(?:an?|our|someone|talented|experienced|motivated|passionate)\b"
    r"|\blooking to (?:hire|add|bring|fill)\b|\bresponsible for\b|\bresponsibilities\b|\bqualifications?\b|\brequirements?\b|\byears of\b"
    r"|\bexperience (?:with|in)\b|\bwill be (?:responsible|working|part)\b"
)
# A plain requirement ends a benefits / legal section that had no closing heading.
_REQUIREMENT = re.compile(
    r"\b\d+\+? ?(?:-\d+ )?years?\b.*\bexperience\b|\bdegree in\b|\b(?:bachelor|master)['’]?s\b|\bph\.? ?d\b"
    r"|\bproficien(?:t|cy) (?:in|with)\b|\bexperience (?:with|in|using|building|developing|working)\b"
    r"|\bknowledge of\b|\bfamiliar(?:ity)? with\b|\bstrong (?:\w+ )?skills\b|\bresponsible for\b|\bin this (?:role|position),? you\b"
)

# ---- long flattened units ---------------------------------------------------------------------------
_LONG_UNIT = 300
_PUNCT_BOUNDARY = re.compile(r"[.!?;•·](?=\s|[A-Z])|(?<=[a-z])(?=[A-Z][a-z])|(?<=\))(?=\s?[A-Z])|\s{2,}")
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9)%])\s+(?=[A-Z])")


def _clause(text: str, start: int, end: int, hit: int) -> tuple[int, int]:
    """The clause of a long unit around position `hit`: between punctuation, or, when that is still
    long (bullets glued with spaces only), between capitalised words."""
    for boundary in (_PUNCT_BOUNDARY, _WORD_BOUNDARY):
        left = max((m.end() for m in boundary.finditer(text, start, hit + 1) if m.end() <= hit), default=start)
        right = next((m.start() for m in boundary.finditer(text, hit + 1, end)), end)
        if right - left <= _LONG_UNIT:
            break
    return left, right


def _split_by(start: int, end: int, drops: list[tuple[int, int]]) -> list[tuple[int, int, None, bool]]:
    """The unit [start, end) as kept and dropped pieces, given the (possibly overlapping) dropped spans."""
    out: list[tuple[int, int, None, bool]] = []
    cursor = start
    for left, right in sorted(drops):
        if left > cursor:
            out.append((cursor, left, None, True))
        if right > max(cursor, left):
            out.append((max(cursor, left), right, None, False))
        cursor = max(cursor, right)
    if end > cursor:
        out.append((cursor, end, None, True))
    return out


@functools.lru_cache(maxsize=8192)  # a pure function of the phrase; the same headings and short lines recur
def _heading_kind(phrase: str) -> str | None:
    """The section kind of a heading ("demand", "about", "drop"), or None when it is not a heading."""
    text = _HEADING_STRIP.sub("", phrase)
    if not text or len(text) > _HEADING_MAX:
        return None
    for kind, pattern in _HEADING_WHOLE.items():
        if pattern.fullmatch(text):
            return kind
    if _ABOUT_NAME_WHOLE.fullmatch(text):
        return "about"
    # An unknown short heading that ends in ":" or "?" (or is in capitals) and names the role or the
    # candidate ("What's the role?", "JOB DEFINITION:") starts demand.
    if (phrase.rstrip().endswith((":", "?")) or text.isupper()) and len(text.split()) <= 8 \
            and not _SENTENCE_INSIDE.search(text) and _ROLE_WORD.search(text):
        return "demand"
    return None


def _lines(text: str) -> list[tuple[int, int]]:
    """Line spans, with hard-wrapped prose joined: a line break followed by a lower-case word continues
    the sentence ("MITRE\nis a trusted operator of…")."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in re.finditer(r"\n", text):
        following = text[m.end():m.end() + 1]
        if following.islower() and m.start() > start and text[m.start() - 1] not in ":;.!?":
            continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def _units(text: str, lines: list[tuple[int, int]] | None = None,
           found: dict[str, Candidates] | None = None) -> list[tuple[int, int, str | None]]:
    """(start, end, heading kind or None) for every heading and sentence, in text order (`found`: the
    text's RE2 candidates, when it has them)."""
    units: list[tuple[int, int, str | None]] = []
    for start, end in _lines(text) if lines is None else lines:
        line = text[start:end]
        kind = _heading_kind(line) if len(line) <= _HEADING_MAX + 10 else None
        if kind:
            units.append((start, end, kind))
            continue
        cursor = start
        for m_start, m_end, m in _matches(_INLINE_SCAN, found and found["inline"], text, start, end):
            phrase, after = m.group("h"), m.group("after")
            kind = _heading_kind(phrase)
            if m_start < cursor or kind is None:
                continue
            if _INLINE_NEEDS_COLON.fullmatch(phrase) and ":" not in after:
                continue
            if m_start > 0 and text[m_start - 1].isupper() and (
                    len(phrase.split()) < 2 or not (":" in after or (not after and m_end < end))):
                continue  # glued to a capital ("SQLAbout Us"): only a multi-word heading glued on both sides
            if after and after[0] in " \t" and not after.strip() and m_end < end:
                # followed by " Capital…": only a multi-word heading that starts a sentence
                if len(phrase.split()) < 2 or not _SENTENCE_START.search(text[max(start, m_start - 3):m_start]):
                    continue
            units.extend(_iter_sentences(text, cursor, m_start, found))
            units.append((m_start, m_end, kind))
            cursor = m_end
        units.extend(_iter_sentences(text, cursor, end, found))
    return units


def _iter_sentences(text: str, start: int, end: int, found: dict[str, Candidates] | None = None):
    """The non-blank sentences and glued bullets of text[start:end]."""
    cursor = start
    for m_start, m_end, _ in _matches(_SPLIT_SCAN, found and found["split"], text, start, end):
        if m_start == m_end and text[m_start - 1].islower() and not _glued(text, m_start):
            continue
        if m_start > cursor and text[cursor:m_start].strip():
            yield cursor, m_start, None
        cursor = max(cursor, m_end)
    if end > cursor and text[cursor:end].strip():
        yield cursor, end, None


def demand_text(text: str) -> str:
    """The text of a posting with its company, benefits, legal and application parts removed.

    Kept parts keep their original characters; a removed part between two kept ones, or the seam between
    two units that flattened text glued together ("latencyPredict", "QualificationsPython"), becomes a
    line break, so that word-boundary matching works on the result.

    >>> demand_text("About us\\nWe are a fast-growing cybersecurity company.\\nRequirements\\n- Python")
    'Requirements\\n- Python'
    """
    pieces: list[str] = []
    last_end: int | None = None
    for start, end, _kind, keep in _decisions(text):
        if not keep:
            continue
        if last_end is not None and start > last_end:
            gap = text[last_end:start]
            pieces.append(gap if not gap.strip(" \t\n•·●▪Ø*-–—") else "\n")
        elif last_end is not None and start == last_end and not text[start - 1].isspace():
            pieces.append("\n")  # units glued in flattened text ("latencyPredict") become separate lines
        pieces.append(text[start:end])
        last_end = end
    return "".join(pieces).strip()


def _company_lines(text: str, lower: str, lines: list[tuple[int, int]] | None = None,
                   found: dict[str, Candidates] | None = None) -> list[tuple[int, int]]:
    """Paragraphs about the company: a line of prose that opens with a company sentence and never
    speaks about the role or the candidate ("Ticketmaster has changed the way… We continue to shape
    innovation every day.")."""
    spans: list[tuple[int, int]] = []
    for start, end in _lines(text) if lines is None else lines:
        if not 80 <= end - start <= 1500 or _ROLE_SIGNAL.search(lower, start, end) or _REQUIREMENT.search(lower, start, end):
            continue
        first = next(_iter_sentences(text, start, end, found), None)
        if first and _COMPANY.match(text[first[0]:first[1]].strip(" \t:;-–—•·*\"“”")):
            spans.append((start, end))
    return spans


def _decisions(text: str) -> list[tuple[int, int, str | None, bool]]:
    """(start, end, heading kind or None, kept) for every unit of `text`."""
    if not text:
        return []
    lower = text.lower()
    text_scanner, lower_scanner = _scanners()
    found = text_scanner.scan(text)
    found_lower = lower_scanner.scan(lower)
    boilerplate_starts = [m.start() for m in (
        _BOILERPLATE.finditer(lower) if found_lower is None else found_lower["boilerplate"].finditer())]

    def boilerplate_spans(start: int, end: int) -> list[tuple[int, int]]:
        """The boilerplate parts of a unit: the whole unit, some clauses of a long one, or none."""
        i = bisect.bisect_left(boilerplate_starts, start)
        hits = []
        while i < len(boilerplate_starts) and boilerplate_starts[i] < end:
            hits.append(boilerplate_starts[i])
            i += 1
        if hits and end - start <= _LONG_UNIT:
            return [(start, end)]
        if hits:
            # Flattened text glues bullets into one long unit ("…Python, SQL Competitive salary Stock
            # options…"): drop only the clauses around the boilerplate phrases.
            return [_clause(text, start, end, hit) for hit in hits]
        sentence = text[start:end].strip(" \t:;-–—•·*\"“”")
        if _COMPANY.match(sentence) and not _ROLE_SIGNAL.search(lower, start, end):
            return [(start, end)]
        return []

    lines = _lines(text)
    company_lines = _company_lines(text, lower, lines, found)
    state = "keep"  # keep | about | drop
    kept_any = False
    out: list[tuple[int, int, str | None, bool]] = []
    for start, end, kind in _units(text, lines, found):
        if kind is None and any(ls <= start < le for ls, le in company_lines):
            out.append((start, end, None, False))
            state = "about" if not kept_any and state == "keep" else state
            continue
        if kind is not None:
            state = "keep" if kind == "demand" else kind
            # "Job Description" or "Overview" often opens with the company: not yet the role
            kept_any = kept_any or (kind == "demand" and not _GENERIC_HEADING.fullmatch(_HEADING_STRIP.sub("", text[start:end])))
            out.append((start, end, kind, kind == "demand"))
            continue
        if state == "about" and not _ROLE_SIGNAL.search(lower, start, end):
            out.append((start, end, None, False))
            continue
        if state == "drop" and not _REQUIREMENT.search(lower, start, end):
            out.append((start, end, None, False))
            continue
        spans = boilerplate_spans(start, end)
        if not spans:
            state = "keep"
            kept_any = True
            out.append((start, end, None, True))
        elif spans == [(start, end)] or state != "keep":
            out.append((start, end, None, False))
            if not kept_any and state == "keep" and _COMPANY.match(text[start:end].strip(" \t:;-–—•·*\"“”")):
                # A posting that opens with its company ("Acme is a platform that…") goes on about the
                # company until it first speaks about the role: treat it like an "About us" section.
                state = "about"
        else:
            kept_any = True
            out.extend(_split_by(start, end, spans))
    return out
