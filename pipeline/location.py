"""City, region and ISO country of a posting's location text (structured country hint first)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


# USPS codes, territories included ("Juncos, PR").
_US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI".split()
)
_US_STATE_NAMES = dict(zip(
    ("alabama,alaska,arizona,arkansas,california,colorado,connecticut,delaware,florida,georgia,hawaii,idaho,"
     "illinois,indiana,iowa,kansas,kentucky,louisiana,maine,maryland,massachusetts,michigan,minnesota,mississippi,"
     "missouri,montana,nebraska,nevada,new hampshire,new jersey,new mexico,new york,north carolina,"
     "north dakota,ohio,oklahoma,oregon,pennsylvania,rhode island,south carolina,south dakota,tennessee,texas,utah,"
     "vermont,virginia,washington,west virginia,wisconsin,wyoming,new york state,washington state,"
     "district of columbia,puerto rico").split(","),
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY NY WA DC PR".split(),
    strict=True,
))
_CA_PROVINCES = frozenset("AB BC MB NB NL NS NT NU ON PE QC SK YT".split())
_CA_PROVINCE_NAMES = {
    "alberta": "AB", "british columbia": "BC", "manitoba": "MB", "new brunswick": "NB", "newfoundland": "NL",
    "newfoundland and labrador": "NL", "nova scotia": "NS", "ontario": "ON", "prince edward island": "PE",
    "quebec": "QC", "saskatchewan": "SK",
}
_COUNTRIES = {
    "us": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states": "US", "united states of america": "US",
    "america": "US", "uk": "GB", "u.k.": "GB", "gb": "GB", "united kingdom": "GB", "great britain": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB", "canada": "CA", "germany": "DE",
    "deutschland": "DE", "netherlands": "NL", "the netherlands": "NL", "holland": "NL", "france": "FR",
    "spain": "ES", "portugal": "PT", "italy": "IT", "ireland": "IE", "switzerland": "CH", "austria": "AT",
    "belgium": "BE", "luxembourg": "LU", "denmark": "DK", "sweden": "SE", "norway": "NO", "finland": "FI",
    "iceland": "IS", "poland": "PL", "czech republic": "CZ", "czechia": "CZ", "slovakia": "SK", "hungary": "HU",
    "romania": "RO", "bulgaria": "BG", "greece": "GR", "croatia": "HR", "serbia": "RS", "slovenia": "SI",
    "estonia": "EE", "latvia": "LV", "lithuania": "LT", "ukraine": "UA", "turkey": "TR", "türkiye": "TR",
    "israel": "IL", "united arab emirates": "AE", "uae": "AE", "saudi arabia": "SA", "qatar": "QA", "egypt": "EG",
    "nigeria": "NG", "kenya": "KE", "south africa": "ZA", "india": "IN", "pakistan": "PK", "bangladesh": "BD",
    "sri lanka": "LK", "singapore": "SG", "malaysia": "MY", "indonesia": "ID", "philippines": "PH",
    "vietnam": "VN", "thailand": "TH", "japan": "JP", "south korea": "KR", "korea": "KR", "taiwan": "TW",
    "hong kong": "HK", "china": "CN", "australia": "AU", "aus": "AU", "new zealand": "NZ", "brazil": "BR",
    "mexico": "MX", "argentina": "AR", "chile": "CL", "colombia": "CO", "peru": "PE", "uruguay": "UY",
    "costa rica": "CR",
}
_ISO_CODES = frozenset(_COUNTRIES.values())
# Places that often appear without their state or country: key -> (name, region, country).
# Names that are ambiguous alone (Cambridge, Portland, Birmingham, Columbus…) are left out on purpose.
_CITIES = {
    "san francisco": ("San Francisco", "CA", "US"), "sf": ("San Francisco", "CA", "US"),
    "sf bay area": ("San Francisco", "CA", "US"), "bay area": ("San Francisco", "CA", "US"),
    "san francisco bay": ("San Francisco", "CA", "US"), "silicon valley": ("", "CA", "US"),
    "new york": ("New York", "NY", "US"), "new york city": ("New York", "NY", "US"), "nyc": ("New York", "NY", "US"),
    "ny, ny": ("New York", "NY", "US"), "manhattan": ("New York", "NY", "US"),
    "seattle": ("Seattle", "WA", "US"), "boston": ("Boston", "MA", "US"), "austin": ("Austin", "TX", "US"),
    "denver": ("Denver", "CO", "US"), "los angeles": ("Los Angeles", "CA", "US"), "chicago": ("Chicago", "IL", "US"),
    "palo alto": ("Palo Alto", "CA", "US"), "mountain view": ("Mountain View", "CA", "US"),
    "sunnyvale": ("Sunnyvale", "CA", "US"), "santa clara": ("Santa Clara", "CA", "US"),
    "san jose": ("San Jose", "CA", "US"), "cupertino": ("Cupertino", "CA", "US"),
    "menlo park": ("Menlo Park", "CA", "US"), "redwood city": ("Redwood City", "CA", "US"),
    "san mateo": ("San Mateo", "CA", "US"), "oakland": ("Oakland", "CA", "US"), "berkeley": ("Berkeley", "CA", "US"),
    "pasadena": ("Pasadena", "CA", "US"), "santa monica": ("Santa Monica", "CA", "US"),
    "irvine": ("Irvine", "CA", "US"), "san diego": ("San Diego", "CA", "US"), "sacramento": ("Sacramento", "CA", "US"),
    "dallas": ("Dallas", "TX", "US"), "houston": ("Houston", "TX", "US"), "san antonio": ("San Antonio", "TX", "US"),
    "atlanta": ("Atlanta", "GA", "US"), "miami": ("Miami", "FL", "US"), "philadelphia": ("Philadelphia", "PA", "US"),
    "philly": ("Philadelphia", "PA", "US"), "pittsburgh": ("Pittsburgh", "PA", "US"),
    "washington dc": ("Washington", "DC", "US"), "washington, dc": ("Washington", "DC", "US"),
    "washington d.c": ("Washington", "DC", "US"), "dc": ("Washington", "DC", "US"),
    "baltimore": ("Baltimore", "MD", "US"), "phoenix": ("Phoenix", "AZ", "US"), "detroit": ("Detroit", "MI", "US"),
    "minneapolis": ("Minneapolis", "MN", "US"), "raleigh": ("Raleigh", "NC", "US"),
    "charlotte": ("Charlotte", "NC", "US"), "nashville": ("Nashville", "TN", "US"),
    "salt lake city": ("Salt Lake City", "UT", "US"), "las vegas": ("Las Vegas", "NV", "US"),
    "new orleans": ("New Orleans", "LA", "US"), "st. louis": ("St. Louis", "MO", "US"),
    "cincinnati": ("Cincinnati", "OH", "US"), "cleveland": ("Cleveland", "OH", "US"),
    "orlando": ("Orlando", "FL", "US"), "tampa": ("Tampa", "FL", "US"),
    "london": ("London", "", "GB"), "cambridge, uk": ("Cambridge", "", "GB"), "edinburgh": ("Edinburgh", "", "GB"),
    "manchester": ("Manchester", "", "GB"), "berlin": ("Berlin", "", "DE"), "munich": ("Munich", "", "DE"),
    "munchen": ("Munich", "", "DE"), "hamburg": ("Hamburg", "", "DE"), "frankfurt": ("Frankfurt", "", "DE"),
    "paris": ("Paris", "", "FR"), "amsterdam": ("Amsterdam", "", "NL"), "toronto": ("Toronto", "ON", "CA"),
    "montreal": ("Montreal", "QC", "CA"), "vancouver": ("Vancouver", "BC", "CA"), "ottawa": ("Ottawa", "ON", "CA"),
    "waterloo": ("Waterloo", "ON", "CA"), "zurich": ("Zurich", "", "CH"), "geneva": ("Geneva", "", "CH"),
    "dublin": ("Dublin", "", "IE"), "tel aviv": ("Tel Aviv", "", "IL"), "bangalore": ("Bengaluru", "", "IN"),
    "bengaluru": ("Bengaluru", "", "IN"), "hyderabad": ("Hyderabad", "", "IN"), "pune": ("Pune", "", "IN"),
    "mumbai": ("Mumbai", "", "IN"), "chennai": ("Chennai", "", "IN"), "singapore": ("Singapore", "", "SG"),
    "sydney": ("Sydney", "", "AU"), "melbourne": ("Melbourne", "", "AU"), "stockholm": ("Stockholm", "", "SE"),
    "copenhagen": ("Copenhagen", "", "DK"), "oslo": ("Oslo", "", "NO"), "helsinki": ("Helsinki", "", "FI"),
    "madrid": ("Madrid", "", "ES"), "barcelona": ("Barcelona", "", "ES"), "lisbon": ("Lisbon", "", "PT"),
    "milan": ("Milan", "", "IT"), "vienna": ("Vienna", "", "AT"), "prague": ("Prague", "", "CZ"),
    "warsaw": ("Warsaw", "", "PL"), "tokyo": ("Tokyo", "", "JP"), "seoul": ("Seoul", "", "KR"),
    "beijing": ("Beijing", "", "CN"), "shanghai": ("Shanghai", "", "CN"), "sao paulo": ("São Paulo", "", "BR"),
}
# LinkedIn metro areas: "Greater Seattle Area", "Atlanta Metropolitan Area", "Dallas-Fort Worth Metroplex".
_METRO = re.compile(
    r"^(?:greater\s+)|\s+(?:bay area|metropolitan area|metropolitan region|metro area|metroplex|metro|area|region)$",
    re.IGNORECASE,
)
_ZIP = re.compile(r"\s+\d{5}(?:-\d{4})?$|\s+[A-Z]\d[A-Z] ?\d[A-Z]\d$")  # US ZIP, Canadian postal code
_STATE_CODE_SUFFIX = re.compile(r"^(?P<city>[A-Za-z][A-Za-z .'-]+?)\s+(?P<code>[A-Z]{2})$")  # "Seattle WA"
_WORK_MODE = re.compile(
    r"\b(?:remote|hybrid)[- ](?:ok|okay|friendly|first|only)\b|\b(?:remote|hybrid|on-?site|in[- ]office|anywhere|"
    r"worldwide|global(?:ly)?|wfh|only|first|friendly|hq|headquarters|location|based)\b",
    re.IGNORECASE,
)
# "or"/"and" split only in lower case: "Portland, OR - Rails Developer" is Oregon. A sentence end splits too
# ("West London, UK. Software Developers…"), but not "St. Louis".
_LOCATION_SPLIT = re.compile(r"\s+(?:or|and|&|/|\|)\s+|;|:\s|\s+[-–—]+\s+|[()\[\]]|(?<!\bSt)\.\s+(?=[A-Z])")
_PLACE_NAME = re.compile(r"^(?!.*\d)[^\W_][\w .'’-]{0,40}$")


def _key(text: str) -> str:
    """Lookup key: lower case, accents dropped ("Zürich" -> "zurich", "Montréal" -> "montreal")."""
    decomposed = unicodedata.normalize("NFKD", text.strip(" .").lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Location:
    city: str = ""
    region: str = ""
    country: str = ""


def _region_of(piece: str) -> tuple[str, str] | None:
    """(region code, country) for "CA", "California", "ON", "Ontario", "US-CA"; None otherwise."""
    upper, key = piece.upper(), _key(piece)
    if len(piece) == 2 and upper in _US_STATES:
        return upper, "US"
    if len(piece) == 2 and upper in _CA_PROVINCES:
        return upper, "CA"
    if re.fullmatch(r"US-[A-Z]{2}", upper) and upper[3:] in _US_STATES:
        return upper[3:], "US"
    if key in _US_STATE_NAMES:
        return _US_STATE_NAMES[key], "US"
    if key in _CA_PROVINCE_NAMES:
        return _CA_PROVINCE_NAMES[key], "CA"
    return None


def _country_of(piece: str, codes: bool = False) -> str:
    """ISO code for a country name; for an upper-case ISO code too when `codes` ("Lyon, FR", not a bare "CA")."""
    key = _key(piece)
    if key in _COUNTRIES:
        return _COUNTRIES[key]
    return piece if codes and len(piece) == 2 and piece.isupper() and piece in _ISO_CODES else ""


def _known_city(piece: str) -> Location | None:
    key = _key(piece)
    if key in _CITIES:
        return Location(*_CITIES[key])
    stripped = _key(_METRO.sub("", piece))
    if stripped != key:  # a metro area: "Dallas-Fort Worth" -> Dallas, "Washington DC-Baltimore" -> Washington
        for name in (stripped, stripped.split("-")[0].strip()):
            if name in _CITIES:
                return Location(*_CITIES[name])
    return None


def _metro_name(piece: str) -> str:
    """The main place of a metro-area label: "Ohio Metropolitan Area" -> "Ohio", "Raleigh-Durham Area" -> "Raleigh"."""
    stripped = _METRO.sub("", piece).strip()
    return stripped.split("-")[0].strip() if stripped != piece else piece


def _city_name(piece: str) -> str:
    """The first of "Edinburgh/Cambridge", if it reads as a place name."""
    name = piece.split("/")[0].strip(" .")
    return name if _PLACE_NAME.match(name) else ""


def _single_place(piece: str) -> Location | None:
    country = _country_of(piece)
    if country:
        return Location(country=country)
    known = _known_city(piece)
    if known:
        return known
    region = _region_of(piece)
    if region and not (len(piece) == 2 and not piece.isupper()):  # "Ut" or "ok" written in lower case is no code
        return Location(region=region[0], country=region[1])
    glued = _STATE_CODE_SUFFIX.match(piece)  # "Seattle WA", "Boston US"
    if glued:
        code = glued["code"]
        if code in _US_STATES or code in _CA_PROVINCES:
            return _merge_known(glued["city"], code, "US" if code in _US_STATES else "CA")
        if _country_of(code, codes=True):
            return _merge_known(glued["city"], "", code)
    return None


def _merge_known(city: str, region: str, country: str) -> Location:
    """A city with the region/country the text gave, using the known city's own fields where they agree."""
    known = _known_city(city)
    if known and known.country == country and (not region or not known.region or region == known.region):
        return Location(known.city or _city_name(city), region or known.region, country)
    return Location(_city_name(city), region, country)


def _place(part: str, hint: str = "") -> Location | None:
    """One place: "Berlin, Germany", "Seattle, WA", "Toronto, ON, Canada", "US", "SF Bay Area",
    "1825 S Grant St, San Mateo, CA 94402, US"; None when nothing in it is a known place."""
    pieces = [_ZIP.sub("", p.strip(" .")) for p in part.split(",")]
    if len(pieces) > 1:  # "Columbus, Ohio Metropolitan Area", "Greenville-Spartanburg, South Carolina Area"
        pieces = [_metro_name(p) for p in pieces]
    pieces = [p for p in pieces if p]
    if not pieces:
        return None
    whole = _key(", ".join(pieces))
    if whole in _CITIES:
        return Location(*_CITIES[whole])
    if len(pieces) == 1:
        return _single_place(pieces[0])
    regions = [_region_of(p) for p in pieces]
    countries = [_country_of(p, codes=True) for p in pieces]
    first = _known_city(pieces[0])
    if first and first.country in (p.upper() for p in pieces[1:]):
        return first  # "Berlin, DE", "Toronto, CA": a known city followed by its own country's ISO code
    # The last state/province piece is the region ("Ontario, CA, US" is Ontario in California) and the piece
    # before it the city; street-address pieces before that are ignored ("1825 S Grant St, San Mateo, CA, US").
    r = max((k for k, region in enumerate(regions) if region), default=None)
    if r is not None:
        code, country = regions[r]  # type: ignore[misc]
        stated = next((cc for cc in countries[r + 1:] if cc), "")
        city = pieces[r - 1] if r > 0 else ""
        if stated and stated != country:  # "Perth, WA, Australia": WA is not Washington here
            return _merge_known(city, "", stated)
        return _merge_known(city, code, country)
    k = next((k for k, cc in enumerate(countries) if cc), None)
    if k == 0:
        return Location(country=countries[0])
    if k is not None:  # "Berlin, Germany", "Bengaluru, Karnataka, India": city, then the region as written
        region = pieces[k - 1] if k >= 2 and _PLACE_NAME.match(pieces[k - 1]) else ""
        if region and _known_city(region):  # "Kreuzberg, Berlin, Germany": the city is Berlin
            return _merge_known(region, "", countries[k])
        return _merge_known(pieces[k - 2] if k >= 2 else pieces[0], region, countries[k])
    known = next((_known_city(p) for p in pieces if _known_city(p)), None)
    if known:
        return known
    if hint and _city_name(pieces[0]):
        return Location(_city_name(pieces[0]), pieces[1] if _PLACE_NAME.match(pieces[1]) else "", hint)
    return None


def parse_location(location: str, country_hint: str = "") -> Location:
    """City, region and ISO country from a location string.

    The region is the US state / Canadian province code ("CA", "ON"), elsewhere the region as written
    ("Karnataka"). The source's structured country (Lever's `country`) wins over the text. The first
    place that reads as one is used ("London, UK or Remote" -> London, GB; "Remote - US" -> country US only).
    """
    hint = country_hint.strip().upper()
    hint = hint if re.fullmatch(r"[A-Z]{2}", hint) else ""
    found = Location()
    text = " ".join(str(location or "")[:500].split())  # runs of spaces would make the splitting quadratic
    for part in _LOCATION_SPLIT.split(text):
        if not part:
            continue
        cleaned = _WORK_MODE.sub(" ", part)
        cleaned = " ".join(cleaned.split()).strip(" ,:-–—*")
        place = _place(cleaned, hint) if cleaned else None
        if place and (place.city or place.country):
            found = place
            break
    if hint and found.country and found.country != hint:
        return Location(country=hint)
    return Location(found.city, found.region, hint or found.country)


_IN_PLACE = re.compile(
    r"\bin ((?:St\. )?[A-Z][A-Za-z'-]*(?: [A-Z][A-Za-z'-]*)*(?:, [A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)*)?)")


def place_in_text(text: str, country_hint: str = "") -> Location:
    """A place named as "… in Austin, TX …" (HN posts written as a sentence rather than a header)."""
    for candidate in _IN_PLACE.findall(text or ""):
        place = parse_location(candidate, country_hint)
        if place.city or place.region:
            return place
    return Location(country=country_hint.strip().upper()) if re.fullmatch(r"[A-Za-z]{2}", country_hint.strip()) else Location()
