"""Is a posting an ML posting? The is_ml rule of LABELING.md, title first, description second.

True for roles that build, train, evaluate, deploy or research ML / AI models, that build platforms and
data systems made for them (MLOps, ML infrastructure, LLM applications), and for data scientists. False
for roles that use, sell or recruit for AI, for general software at AI companies, and for analysts whose
work is reporting.

Why this order: a title names the role ("Machine Learning Engineer", "Account Executive"), so a title rule
decides most postings at about 0.98 precision. Titles such as "Software Engineer", "Research Engineer" or
"Data Engineer" do not; for them the demand text (company and benefits parts removed, so that "we use
machine learning to…" in the company description does not count) must show the ML work itself: several
distinct signals such as training or fine-tuning models, ML frameworks, ML infrastructure or LLM work.
"""
from __future__ import annotations

import re

from pipeline.boilerplate import demand_text

__all__ = ["classify_ml"]

# ---- titles ---------------------------------------------------------------------------------------
# The role itself is not ML work, whatever the product: checked before the ML words of the title.
_NON_ML_ROLE = re.compile(
    r"\b(?:sales|account (?:executive|manager|director)|business development|recruit\w*|talent (?:acquisition|partner|sourc\w+)"
    r"|sourcer|attorney|lawyer|counsel|paralegal|legal (?:assistant|secretary|specialist|operations)|customer success|customer support|support (?:specialist|representative)"
    r"|marketing (?:manager|coordinator|specialist|director|associate|lead)|product marketing|copywriter|content writer"
    r"|accountant|bookkeeper|controller|human resources|hr (?:generalist|manager|business partner)|executive assistant"
    r"|office manager|administrative|technician|operator|nurse|therapist|teacher|instructor|annotator|data labell?er"
    r"|training and placement|placement program|bootcamp)\b",
    re.IGNORECASE,
)
# ML words of a title; "AI" counts next to a role noun ("AI Engineer", "Engineer, Applied AI").
_ML_TITLE = re.compile(
    r"machine[- ]learning|\bml\b|\bml(?:ops|e)\b|\bml[- ]?ops\b|\bai\s*/\s*ml\b|\bml\s*/\s*ai\b|artificial intelligence"
    r"|deep learning|\bnlp\b|\bnlu\b|natural language|computer vision|\bllms?\b|\bgen(?:erative)? ?ai\b|\bgenai\b"
    r"|reinforcement learning|data scientist|\bdata\b[^|]{0,20}\bscientist\b|applied scientist|computational linguist|\bperception\b"
    r"|data science(?! (?:software engineer|engineer|developer|analyst|specialist|associate)\b)"
    r"|\b(?:pytorch|tensorflow|scikit[- ]learn|keras|hugging ?face|langchain)\b"
    r"|\bai (?:engineer|developer|scientist|researcher|specialist|architect|lead|research|engineering|infrastructure|platform)"
    r"|\b(?:engineer|developer|scientist|researcher|architect|lead|manager)\b[^|]*\bai\b|\bai\b[^|]*\b(?:engineer|developer|scientist|researcher)\b",
    re.IGNORECASE,
)
_ANALYST_TITLE = re.compile(r"\banalyst\b|\banalytics\b|\bbusiness intelligence\b|\bbi (?:developer|engineer)\b", re.IGNORECASE)
_DATA_ENGINEER_TITLE = re.compile(r"\bdata (?:engineer|architect)|\bbig data\b|\betl\b|\bdata platform", re.IGNORECASE)

# ---- description signals ------------------------------------------------------------------------------
# Each family counts once. Strong families describe the ML work; weak ones only mention the field.
_STRONG_SIGNALS: dict[str, str] = {
    # "As a data scientist, you will…" / "seeking multiple Data Scientists": the posting calls the role so.
    "data scientist role": r"(?<!experience )\b(?:is|as) an? (?:(?!or\b|and\b)[\w-]+ ){0,3}data scientist\b(?! ?/| or\b)"
                           r"|\b(?:seeking|looking for|hiring) (?:an? |multiple |several )?(?:(?!or\b|and\b)[\w-]+ ){0,3}data scientists?\b(?! ?/| or\b)",
    "trains models": r"\b(?:train(?:s|ed|ing)?|fine[- ]?tun\w*|pre[- ]?train\w*|retrain\w*)\b[^.\n]{0,60}\b(?:models?|networks?|llms?|classifiers?|embeddings?)\b"
                     r"|\bmodel (?:training|development|fine[- ]tuning)\b|\b(?:training|fine[- ]tuning) (?:of )?(?:ml |machine learning |deep learning |the )?models?\b",
    "deploys models": r"\b(?:deploy\w*|productioni[sz]\w*|serv(?:e|es|ing)|ship\w*|launch\w*)\b[^.\n]{0,40}\b(?:ml|machine learning|ai|deep learning|predictive)? ?models?\b"
                      r"|\bmodel (?:deployment|serving|inference|monitoring|management|evaluation)\b|\binference (?:server|serving|optimization|latency)\b",
    "builds ML models": r"\b(?:build\w*|develop\w*|design\w*|implement\w*|creat\w*|improv\w*|evaluat\w*|optimi[sz]\w*)\b[^.\n]{0,50}"
                        r"\b(?:machine learning|ml|deep learning|ai|predictive|statistical|nlp|cv|recommendation|ranking|classification|generative|neural)"
                        r" (?:models?|algorithms?|systems?|solutions?|pipelines?|networks?)\b",
    "ML frameworks": r"\b(?:pytorch|tensorflow|keras|scikit[- ]?learn|sklearn|xgboost|lightgbm|jax|hugging ?face|transformers library|caffe|theano|mxnet|spacy|nltk)\b",
    "ML infrastructure": r"\bml ?ops\b|\bmlflow\b|\bkubeflow\b|\bsagemaker\b|\bvertex ai\b|\bml (?:infrastructure|platform|pipelines?|systems?|stack|engineering)\b"
                         r"|\bmachine learning (?:infrastructure|platform|pipelines?|systems?|engineering)\b|\bfeature stores?\b|\bgpus?\b|\bcuda\b"
                         r"|\b(?:ml|machine learning|model) training\b",
    "LLM work": r"\bllms?\b|\blarge language models?\b|\bgenerative ai\b|\bgen ?ai\b|\bprompt engineering\b|\bretrieval[- ]augmented\b|\brag\b"
                r"|\blangchain\b|\bllama ?index\b|\bvector (?:databases?|stores?|search)\b|\bembeddings?\b|\brlhf\b",
    "ML methods": r"\bdeep learning\b|\bneural networks?\b|\breinforcement learning\b|\bcomputer vision\b|\bnatural language processing\b|\bnlp\b"
                  r"|\bsupervised\b|\bunsupervised\b|\btransformer models?\b|\bconvolutional\b|\bcnns?\b|\blstms?\b|\bgradient boost\w*\b|\brandom forests?\b",
}
_WEAK_SIGNALS: dict[str, str] = {
    "mentions ML": r"\bmachine learning\b|\bml\b|\bartificial intelligence\b|\bai\b",
    "data science": r"\bdata scien(?:ce|tists?)\b|\bpredictive (?:modell?ing|analytics)\b",
}
_STRONG = {name: re.compile(p, re.IGNORECASE) for name, p in _STRONG_SIGNALS.items()}
_WEAK = {name: re.compile(p, re.IGNORECASE) for name, p in _WEAK_SIGNALS.items()}
# The same patterns without IGNORECASE, for lower-cased text (case-insensitive matching is about twice as
# slow in Python's regex engine). They find the same as the patterns above when every character of the
# text is ASCII or has no case at all (punctuation, bullets, CJK…): lower() then changes only A-Z, and
# such characters match nothing but themselves either way. The patterns have no upper-case letters.
_STRONG_LOWER = {name: re.compile(p) for name, p in _STRONG_SIGNALS.items()}
_WEAK_LOWER = {name: re.compile(p) for name, p in _WEAK_SIGNALS.items()}


def _caseless(text: str) -> bool:
    """Every character of `text` is ASCII or has no case (so `_*_LOWER` on text.lower() is exact)."""
    return text.isascii() or all(ch.isascii() or ch.lower() == ch == ch.upper() for ch in set(text))

# The ML work itself (training, deploying, building models) weighs 2; tools, infrastructure, LLM work
# and methods weigh 1. Points needed when the title does not decide: analysts and data engineers need
# more, as their postings often mention ML next to reporting or pipeline work.
_WORK_SIGNALS = {"trains models", "deploys models", "builds ML models"}
_DECISIVE_SIGNALS = {"data scientist role"}
_NEEDED = {"analyst": 5, "data engineer": 4, "other": 3}


def _signals(text: str) -> tuple[list[str], list[str]]:
    """The strong signal families of `text`, and its weak ones (looked for only when no strong one is there:
    they matter only then)."""
    strong_patterns, weak_patterns = _STRONG, _WEAK
    if _caseless(text):
        text, strong_patterns, weak_patterns = text.lower(), _STRONG_LOWER, _WEAK_LOWER
    strong = [name for name, pattern in strong_patterns.items() if pattern.search(text)]
    weak = [] if strong else [name for name, pattern in weak_patterns.items() if pattern.search(text)]
    return strong, weak


def _points(strong: list[str]) -> int:
    return sum(5 if name in _DECISIVE_SIGNALS else 2 if name in _WORK_SIGNALS else 1 for name in strong)


def classify_ml(title: str, text: str, demand: str | None = None) -> tuple[bool, str]:
    """(is_ml, short reason) for a posting, following LABELING.md's is_ml rule.

    `demand`, when given, is `demand_text(text or "")` computed by the caller (enrichment needs it for
    skill matching too, so it is computed once).

    >>> classify_ml("Senior Machine Learning Engineer", "")
    (True, 'title: senior machine learning engineer')
    >>> classify_ml("Account Executive, AI Platform", "Sell our machine learning platform.")
    (False, 'title: non-ML role (account executive)')
    """
    title = (title or "").strip()
    short_title = re.sub(r"\s+", " ", title.lower())[:60]
    non_ml = _NON_ML_ROLE.search(title)
    if non_ml:
        return False, f"title: non-ML role ({non_ml.group(0).lower()})"
    if _ML_TITLE.search(title.replace("Al/", "AI/")):  # "Al/ Machine Learning Engineer" occurs
        return True, f"title: {short_title}"

    kind = "analyst" if _ANALYST_TITLE.search(title) else "data engineer" if _DATA_ENGINEER_TITLE.search(title) else "other"
    strong, weak = _signals(demand_text(text or "") if demand is None else demand)
    needed, points = _NEEDED[kind], _points(strong)
    if points >= needed:
        return True, f"description: {', '.join(strong[:3])} ({points} points)"
    if not strong and not weak:
        return False, f"{'title: ' + kind + ' role, ' if kind != 'other' else ''}description: no ML signal"
    return False, f"description: {points} of {needed} ML points{' (' + kind + ')' if kind != 'other' else ''}"
