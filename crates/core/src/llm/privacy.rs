//! Which columns may hold personal details, so that their values never reach the AI.
//!
//! The prompt lists the distinct values of low-cardinality text columns (regions, statuses,
//! segments) so that the AI can filter on them. [`personal`] decides, column by column, whether
//! those values must stay on the machine. Any one of three kinds of evidence holds them back:
//!
//! 1. **The column's name**, split into words as the planner splits it (`billing_name`,
//!    `HomePhone`, and fused words such as `fullname` or `emailaddress`). Some words are personal
//!    wherever they appear ([`ALWAYS`]: e-mail, phone, login, password, birth, diagnosis,
//!    passport, IBAN, address, street, postcode, IP address, ethnicity, notes and other free
//!    text). Others name a person or something about one only when nothing says the column is a
//!    category ([`PERSON`]: `customer`, `recipient`, `contact`, `gender`, `age`, `card`, and
//!    `name` itself, which is fine for `product_name` or a `regions` table, but not alone in an
//!    unknown table). Pairs catch what single words cannot: `national id`, `account number`,
//!    `licence number`, `social security`.
//! 2. **The values**: an e-mail address, a phone number, a card number (Luhn), an IBAN (mod 97),
//!    an IP or MAC address, a street address or a person's name (a common given name followed by
//!    capitalised words, "Lopez, Maria", or "Dr. Rossi") anywhere among them.
//! 3. **The table**: in a table about people (patients, students, tenants, employees, members,
//!    users, clients, customers, contacts, staff, guests…) every column is personal unless its
//!    name says it is a category (type, status, segment, role, country…) or its values are plain
//!    yes/no flags; the value check still applies to those.
//!
//! Decisions: a city is a category in an `orders` or `sales` table but part of someone's address
//! in a table about people, so it stays home there. Gender and sex columns may be sent only when
//! every value is a standard code (`F`, `male`, `non-binary`…): the list of codes says nothing
//! about anyone. Age stays home unless the name says it is a band or group. When the evidence is
//! unclear (a `name` column in a table this module does not know), the values stay home: the AI
//! still sees the column's name and type.

use crate::planner::lexicon::{canonical, singular, ENTITY_SYNONYMS};
use crate::planner::model::name_words;
use crate::schema::{Column, Schema};

/// Why a column's values are held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// A word (or pair of words) of its name: "telephone", "national id".
    Name(&'static str),
    /// One of its values looks like this: "an e-mail address", "a person's name".
    Value(&'static str),
    /// It describes someone in a table about people, and is not a category.
    AboutPeople,
}

/// Name words that are personal wherever they appear.
#[rustfmt::skip]
pub const ALWAYS: &[&str] = &[
    // Contact details.
    "email", "mail", "phone", "telephone", "tel", "mobile", "cell", "cellphone", "fax", "msisdn", "whatsapp", "skype",
    // Names of people.
    "firstname", "lastname", "fullname", "surname", "forename", "givenname", "middlename", "maidenname", "nickname",
    // Credentials.
    "username", "login", "password", "passwd", "pwd", "passcode", "pin", "secret", "token", "otp",
    // Birth.
    "dob", "birth", "birthday", "birthdate", "birthplace", "born",
    // Health.
    "diagnosis", "diagnoses", "medical", "medication", "medications", "medicine", "prescription", "prescriptions", "allergy",
    "allergies", "symptom", "symptoms", "disease", "illness", "treatment", "therapy", "disability", "health", "blood", "pregnancy",
    "vaccination",
    // Identity and money.
    "ssn", "nino", "passport", "iban", "bic", "swift", "cvv", "cvc", "routing", "ccnum",
    // Where someone lives.
    "address", "addr", "street", "zip", "zipcode", "postcode", "postal", "apartment", "apt",
    // Devices and networks.
    "ip", "ipaddress", "mac", "imei", "useragent",
    // Sensitive traits.
    "ethnicity", "ethnic", "race", "religion", "religious", "orientation", "marital",
];

/// Name words of free text, personal unless a [`CATEGORY`] word says the column only classifies
/// it (`review_status`, `note_type`).
#[rustfmt::skip]
pub const FREE_TEXT: &[&str] = &[
    "note", "notes", "comment", "comments", "remark", "remarks", "memo", "description", "message", "feedback", "review", "bio",
    "biography", "complaint", "signature", "text", "body",
];

/// Stems that mark a personal column even inside a fused word (`homephone`, `emailaddress`).
#[rustfmt::skip]
const FUSED: &[&str] = &[
    "email", "phone", "firstname", "lastname", "fullname", "surname", "forename", "givenname", "username", "password", "passwd",
    "birth", "address", "zipcode", "postcode", "postalcode", "diagnos", "prescription", "allerg", "passport", "iban",
];

/// Pairs of name words that are personal together (`national_id`, `AccountNumber`).
const PAIRS: &[(&str, &[&str], &str)] = &[
    (
        "national",
        &["id", "number", "insurance", "identity"],
        "national id",
    ),
    ("social", &["security", "insurance"], "social security"),
    ("tax", &["id", "number", "identifier", "code"], "tax id"),
    ("account", &["number", "iban"], "account number"),
    ("sort", &["code"], "sort code"),
    ("licence", &["number", "plate", "id"], "licence number"),
    ("license", &["number", "plate", "id"], "licence number"),
    ("driver", &["license", "licence"], "driving licence"),
    (
        "card",
        &["number", "holder", "expiry", "expiration"],
        "card number",
    ),
    ("credit", &["card"], "card number"),
    ("policy", &["number"], "policy number"),
    ("insurance", &["number", "id"], "insurance number"),
    ("member", &["number"], "member number"),
    ("plate", &["number"], "licence plate"),
    ("house", &["number", "name"], "address"),
    ("emergency", &["contact"], "emergency contact"),
];

/// Name words that name a person, or something about one, unless a [`CATEGORY`] word says the
/// column is a category (`customer_segment`, `card_type`, `age_group`).
#[rustfmt::skip]
pub const PERSON: &[&str] = &[
    "name", "person", "people", "customer", "client", "patient", "user", "member", "employee", "staff", "student", "pupil", "tenant",
    "guest", "resident", "applicant", "candidate", "recipient", "sender", "contact", "owner", "holder", "cardholder", "buyer",
    "author", "assignee", "reporter", "doctor", "physician", "nurse", "teacher", "driver", "passenger", "agent", "rep",
    "salesperson", "manager", "supervisor", "beneficiary", "guardian", "spouse", "parent", "emergency", "billing", "shipping",
    "delivery", "mailing", "gender", "sex", "age", "card", "licence", "license",
];

/// Name words that make a column a category: its values say what kind, not who.
#[rustfmt::skip]
pub const CATEGORY: &[&str] = &[
    "type", "kind", "category", "class", "status", "state", "segment", "tier", "level", "grade", "group", "role", "plan", "band",
    "range", "bracket", "bucket", "region", "country", "province", "territory", "language", "currency", "channel", "source",
    "method", "mode", "brand", "network", "title", "department", "dept", "team", "division", "unit", "position", "rank", "flag",
    "count", "total", "priority", "stage", "phase", "frequency", "format", "preference", "consent", "verified", "active",
];

/// Name words (or table entities) that name a thing rather than a person: their `name` is
/// not someone's.
#[rustfmt::skip]
const THING: &[&str] = &[
    "product", "item", "sku", "article", "category", "type", "genre", "brand", "model", "make", "store", "shop", "branch",
    "office", "warehouse", "location", "site", "venue", "facility", "building", "room", "department", "dept", "team",
    "division", "unit", "project", "campaign", "channel", "segment", "plan", "service", "course", "subject", "program",
    "programme", "event", "album", "track", "playlist", "media", "film", "movie", "show", "book", "game", "sport", "league",
    "ingredient", "dish", "menu", "recipe", "color", "colour", "size", "material", "tag", "label", "file", "table", "column",
    "field", "metric", "measure", "currency", "language", "method", "mode", "status", "stage", "step", "phase", "carrier",
    "shipper", "vendor", "supplier", "company", "organisation", "organization", "org", "firm", "bank", "school",
    "university", "hospital", "clinic", "ward", "hotel", "restaurant", "fund", "asset", "instrument", "stock", "ticker",
    "symbol", "crop", "species", "breed", "vehicle", "aircraft", "device", "app", "application", "platform", "topic", "skill",
    "job", "role", "award", "holiday", "season", "region", "area", "zone", "district", "territory", "country", "state",
    "province", "city", "town", "station", "airport", "airline", "route", "port", "market", "exchange", "sector", "industry",
];

/// Table entities (singular) that are about people.
#[rustfmt::skip]
pub const PEOPLE: &[&str] = &[
    "patient", "student", "pupil", "learner", "tenant", "employee", "staff", "personnel", "worker", "member", "user", "customer",
    "contact", "person", "people", "guest", "resident", "applicant", "candidate", "doctor", "physician", "nurse", "teacher",
    "instructor", "driver", "passenger", "traveler", "traveller", "attendee", "participant", "subscriber", "donor", "volunteer",
    "visitor", "author", "owner", "individual", "citizen", "voter", "respondent", "beneficiary", "policyholder", "shopper",
    "lead", "prospect", "athlete", "player", "agent", "salesperson", "caregiver", "parent", "child", "children", "family",
    "household", "holder",
];

/// Words at the end of a table's name that say nothing about what it holds.
#[rustfmt::skip]
const GENERIC_TAIL: &[&str] = &[
    "info", "information", "data", "detail", "details", "record", "records", "list", "table", "tbl", "master", "dim", "profile",
    "profiles", "directory", "registry", "register", "roster", "v", "vw", "view",
];

/// Values a gender or sex column may list: standard codes that say nothing about anyone.
#[rustfmt::skip]
const GENDER_CODES: &[&str] = &[
    "m", "f", "male", "female", "man", "woman", "men", "women", "x", "u", "o", "d", "w", "other", "unknown", "non-binary",
    "nonbinary", "nb", "diverse", "divers", "prefer not to say", "not stated", "not specified", "unspecified", "boy", "girl", "",
];

/// Values of a yes/no flag.
const FLAG_VALUES: &[&str] = &[
    "yes", "no", "y", "n", "true", "false", "t", "f", "0", "1", "on", "off", "",
];

/// The entity a table is about, as a singular word ("Patients" → "patient", "tbl_customer_data"
/// → "customer", "Clients" → "customer").
fn entity(table: &str) -> String {
    let words = name_words(table);
    let word = words
        .iter()
        .rev()
        .find(|w| !GENERIC_TAIL.contains(&w.as_str()))
        .map_or("", String::as_str);
    let word = singular(word);
    canonical(ENTITY_SYNONYMS, &word).map_or(word, str::to_string)
}

/// Is `table` about people (patients, users, customers…)?
pub fn about_people(table: &str) -> bool {
    PEOPLE.contains(&entity(table).as_str())
}

/// Why the values of `table.column` may be personal, or `None` when they may be sent.
pub fn personal(table: &str, column: &Column) -> Option<Why> {
    let people = about_people(table);
    if let Some(why) = by_name(table, &column.name, people) {
        if !exempt_by_values(&column.name, &column.values) {
            return Some(why);
        }
    }
    if let Some(kind) = column.values.iter().find_map(|v| looks_personal(v)) {
        return Some(Why::Value(kind));
    }
    None
}

/// May the values of `table.column` be sent to the AI?
pub fn values_may_leave(table: &str, column: &Column) -> bool {
    personal(table, column).is_none()
}

/// `table.column` of every column whose listed values are held back, for the privacy receipt.
pub fn held_back(schema: &Schema) -> Vec<String> {
    schema
        .tables
        .iter()
        .flat_map(|t| {
            t.columns
                .iter()
                .filter(|c| !c.values.is_empty() && !values_may_leave(&t.name, c))
                .map(|c| format!("{}.{}", t.name, c.name))
        })
        .collect()
}

/// The evidence of the column's name (and, for people, of its table).
fn by_name(table: &str, column: &str, people: bool) -> Option<Why> {
    let words = name_words(column);
    let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
    if let Some(w) = words
        .iter()
        .find_map(|w| ALWAYS.iter().find(|a| **a == w.as_str()))
    {
        return Some(Why::Name(w));
    }
    if let Some(stem) = words
        .iter()
        .find_map(|w| FUSED.iter().find(|s| w.len() > s.len() && w.contains(**s)))
    {
        return Some(Why::Name(stem));
    }
    for pair in words.windows(2) {
        if let Some((_, _, what)) = PAIRS
            .iter()
            .find(|(a, bs, _)| pair[0] == *a && bs.contains(&pair[1].as_str()))
        {
            return Some(Why::Name(what));
        }
    }
    // A fused "...name" is a name word too ("billingname", "contactname"), unless it names a thing.
    let fused_name = words
        .iter()
        .any(|w| w.len() > 4 && w.ends_with("name") && !THING.contains(&&w[..w.len() - 4]));
    let is_category = has(CATEGORY) && !(people && words.iter().any(|w| w == "city"));
    if let Some(w) = words
        .iter()
        .find_map(|w| FREE_TEXT.iter().find(|f| **f == w.as_str()))
        .filter(|_| !is_category)
    {
        return Some(Why::Name(w));
    }
    if people {
        // Everything about a person is theirs, except what says it is a category.
        return (!is_category).then_some(Why::AboutPeople);
    }
    if is_category {
        return None;
    }
    let person_word = words
        .iter()
        .find_map(|w| PERSON.iter().find(|p| **p == w.as_str() && **p != "name"));
    if let Some(w) = person_word {
        return Some(Why::Name(w));
    }
    if words.iter().any(|w| w == "name") || fused_name {
        // "product_name", or the name column of a table about things ("regions.name") is not a person's.
        let thing = has(THING) || THING.contains(&entity(table).as_str());
        return (!thing).then_some(Why::Name("name"));
    }
    None
}

/// Gender codes and yes/no flags are categories whatever the table: the list of codes says
/// nothing about anyone.
fn exempt_by_values(column: &str, values: &[String]) -> bool {
    if values.is_empty() {
        return false;
    }
    let words = name_words(column);
    let all_in = |set: &[&str]| {
        values
            .iter()
            .all(|v| set.contains(&v.trim().to_lowercase().as_str()))
    };
    if words.iter().any(|w| w == "gender" || w == "sex") {
        return all_in(GENDER_CODES);
    }
    let strict = words
        .iter()
        .any(|w| ALWAYS.contains(&w.as_str()) || FUSED.iter().any(|s| w.contains(s)));
    !strict && all_in(FLAG_VALUES)
}

/// What a value looks like when it is personal, or `None`.
pub fn looks_personal(value: &str) -> Option<&'static str> {
    let value = value.trim();
    if value.is_empty() || value.len() > 500 {
        return (value.len() > 500).then_some("free text");
    }
    let tokens = || {
        value.split(|c: char| {
            c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')' | '"' | '\'')
        })
    };
    if tokens().any(is_email) {
        return Some("an e-mail address");
    }
    if is_ip(value) || tokens().any(is_ip) {
        return Some("an IP address");
    }
    if is_mac(value) {
        return Some("a MAC address");
    }
    if is_iban(value) {
        return Some("an IBAN");
    }
    if is_card(value) {
        return Some("a card number");
    }
    if is_phone(value) {
        return Some("a phone number");
    }
    if is_street(value) {
        return Some("a street address");
    }
    if is_person_name(value) {
        return Some("a person's name");
    }
    None
}

fn is_email(token: &str) -> bool {
    let Some((local, domain)) = token.split_once('@') else {
        return false;
    };
    let tld = domain.rsplit('.').next().unwrap_or_default();
    !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "._%+-".contains(c))
        && domain.contains('.')
        && domain
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && tld.len() >= 2
        && tld.chars().all(char::is_alphabetic)
}

fn is_ip(text: &str) -> bool {
    // "10.0.0" or "12:30" are not addresses; a full IPv4 or any IPv6 that parses is.
    let text = text.trim_matches(|c: char| c == '[' || c == ']' || c == '.');
    (text.contains('.') || text.matches(':').count() >= 2)
        && text.parse::<std::net::IpAddr>().is_ok()
}

fn is_mac(text: &str) -> bool {
    [':', '-'].iter().any(|&sep| {
        let parts: Vec<&str> = text.split(sep).collect();
        parts.len() == 6
            && parts
                .iter()
                .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
    })
}

/// An IBAN: country letters, check digits and up to 30 letters or digits, valid under mod 97.
fn is_iban(text: &str) -> bool {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let bytes = compact.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let rearranged = compact[4..].bytes().chain(compact[..4].bytes());
    let mut rest: u32 = 0;
    for b in rearranged {
        let n = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rest = if n >= 10 {
            (rest * 100 + n) % 97
        } else {
            (rest * 10 + n) % 97
        };
    }
    rest == 1
}

/// A card number: 13 to 19 digits (spaces or dashes between groups) that pass the Luhn check.
fn is_card(text: &str) -> bool {
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    {
        return false;
    }
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) || digits.iter().all(|d| *d == digits[0]) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A phone number: 7 to 15 digits written as one ("+44 20 7946 0958", "(555) 123-4567",
/// "555-123-4567", "0612345678"), not a date, an amount or a range.
fn is_phone(text: &str) -> bool {
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().//".contains(c))
    {
        return false;
    }
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits)
        || text.matches('+').count() > 1
        || text.find('+').is_some_and(|at| at > 0)
    {
        return false;
    }
    let groups: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    // Dates: 2024-01-15, 15/01/2024, 15.01.2024.
    let date = groups.len() == 3
        && (groups[0].len() == 4 && groups[1].len() <= 2 && groups[2].len() <= 2
            || groups[0].len() <= 2 && groups[1].len() <= 2 && groups[2].len() == 4);
    if date {
        return false;
    }
    let separators = text.chars().filter(|c| " -./".contains(*c)).count();
    text.starts_with('+')
        || text.contains('(')
        || separators >= 2
        || digits >= 10 && (separators >= 1 || text.starts_with('0'))
}

/// Street words, as they end (or begin) a street address.
#[rustfmt::skip]
const STREET_WORDS: &[&str] = &[
    "street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "boulevard", "blvd", "drive", "dr", "way", "court", "ct",
    "place", "pl", "square", "sq", "terrace", "crescent", "close", "highway", "hwy", "parkway", "pkwy", "strasse", "straße",
    "str", "rue", "calle", "via", "avenida", "rua", "weg", "gasse", "laan", "straat", "plaza",
];

/// "12 Main St", "Baker Street 221b", "Hauptstraße 5", "Calle Mayor 3".
fn is_street(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_end_matches('.').to_lowercase())
        .collect();
    let numbered = words
        .iter()
        .any(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.len() <= 6);
    let street = words.iter().any(|w| {
        STREET_WORDS.contains(&w.as_str())
            || ["straße", "strasse", "str", "weg", "gasse", "straat"]
                .iter()
                .any(|s| w.len() > s.len() + 2 && w.ends_with(s))
    });
    words.len() >= 2 && numbered && street
}

/// Courtesy titles before a name.
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "sr", "sra",
    "mme", "mlle",
];

/// Common given names from many languages, minus those that are also everyday words or places
/// (Grace, Rose, May, Victoria, Jordan, Austin, Jack, Mark, Bill…), so "Grace Period" or
/// "Victoria Park" are not taken for people.
#[rustfmt::skip]
const GIVEN_NAMES: &[&str] = &[
    "Aaron", "Adam", "Addison", "Aditya", "Agnieszka", "Ahmed", "Aisha", "Alberto", "Alejandro", "Alessandro", "Alessia", "Alex",
    "Alexander", "Alexandra", "Alexis", "Ali", "Alice", "Alicia", "Alma", "Amanda", "Amara", "Amelia", "Amit", "Amy", "Ana",
    "Ananya", "Andrea", "Andreas", "Andrew", "Andrés", "Angela", "Anil", "Anna", "Anne", "Anthony", "Antoine", "Antonio",
    "Arjun", "Ashley", "Aubrey", "Audrey", "Ava", "Avery", "Barbara", "Beatriz", "Ben", "Benjamin", "Betty", "Brandon", "Brenda",
    "Brian", "Brittany", "Bruno", "Bryan", "Camila", "Camille", "Carla", "Carlos", "Carmen", "Caroline", "Carolyn", "Catherine",
    "Chiara", "Chinedu", "Chloe", "Chloé", "Christina", "Christine", "Christopher", "Claire", "Clara", "Claudia", "Cleo",
    "Cristina", "Cynthia", "Daniel", "Daniela", "Danielle", "Dario", "David", "Deborah", "Deepa", "Denise", "Dennis", "Diana",
    "Diane", "Diego", "Dieter", "Divya", "Dmitri", "Donald", "Donna", "Dorothy", "Douglas", "Dylan", "Edward", "Elena",
    "Eleanor", "Eli", "Elijah", "Elizabeth", "Ellie", "Élodie", "Emily", "Emilia", "Emma", "Emre", "Eric", "Ethan", "Eva",
    "Evelyn", "Fatima", "Felix", "Fernanda", "Fernando", "Finn", "Francesca", "Francesco", "Francisco", "François", "Gabriel",
    "Gabriela", "Gabriella", "George", "Giovanni", "Giulia", "Giuseppe", "Gloria", "Gonçalo", "Greta", "Gregory", "Hailey",
    "Hannah", "Hans", "Harold", "Haruto", "Hassan", "Helen", "Henry", "Hiroshi", "Hugo", "Hussein", "Ian", "Ibrahim", "Inês",
    "Isabel", "Isabella", "Isabelle", "Ivan", "Jacob", "Jacqueline", "James", "Janet", "Janice", "Jason", "Javier", "Jeffrey",
    "Jennifer", "Jeremy", "Jessica", "João", "Joe", "John", "Jonah", "Jonas", "Jonathan", "Jorge", "José", "Jose", "Joseph",
    "Josephine", "Joshua", "Juan", "Judith", "Julia", "Julian", "Julie", "Julien", "Juliette", "Jürgen", "Justin", "Karen",
    "Katarzyna", "Katharina", "Katherine", "Kathleen", "Kavya", "Kayla", "Keith", "Kelly", "Kenneth", "Kevin", "Kimberly",
    "Kira", "Klaus", "Kwame", "Kyle", "Lakshmi", "Larry", "Laura", "Lauren", "Lea", "Léa", "Leah", "Lena", "Leon", "Leonor",
    "Liam", "Linda", "Lisa", "Logan", "Lorenzo", "Louis", "Luca", "Lucas", "Lucía", "Lucia", "Lucy", "Luis", "Lukas", "Manon",
    "Manuel", "Marco", "Margaret", "Maria", "María", "Mariana", "Marie", "Marilyn", "Marta", "Martha", "Martina", "Mary",
    "Mason", "Mateo", "Mathieu", "Matteo", "Matthew", "Maximilian", "Maya", "Megan", "Mehmet", "Melanie", "Melissa", "Mia",
    "Michael", "Michel", "Michelle", "Miguel", "Mohammed", "Monika", "Muhammad", "Mustafa", "Nancy", "Naomi", "Natalie",
    "Natasha", "Nathan", "Neha", "Ngozi", "Nicholas", "Nicolas", "Nicole", "Noah", "Nora", "Olga", "Olivia", "Oliver", "Omar",
    "Pablo", "Pamela", "Patricia", "Patrick", "Paul", "Paula", "Pedro", "Peter", "Petra", "Philip", "Philippe", "Pierre",
    "Piotr", "Pooja", "Priya", "Quinn", "Rachel", "Rafael", "Rahul", "Raj", "Ramesh", "Raúl", "Ravi", "Rebecca", "Ricardo",
    "Richard", "Robert", "Rohan", "Ronald", "Rosa", "Ryan", "Sabine", "Sam", "Samantha", "Samuel", "Sandra", "Sanjay", "Sara",
    "Sarah", "Scott", "Sean", "Sergei", "Sergio", "Sharon", "Sneha", "Sofia", "Sofía", "Sophia", "Sophie", "Stefan",
    "Stephanie", "Stephen", "Steven", "Suresh", "Susan", "Takeshi", "Tara", "Tatiana", "Teresa", "Thabo", "Theresa", "Thomas",
    "Tiago", "Timothy", "Tomasz", "Tyler", "Uma", "Ursula", "Uwe", "Valentina", "Valeria", "Victor", "Vijay", "Vincent",
    "Walter", "Wei", "William", "Wolfgang", "Wren", "Xavi", "Yara", "Yuki", "Yusuf", "Zane", "Zeynep", "Zoe", "Zoey",
];

/// A capitalised word that could be part of a name: "Lopez", "O'Neil", "Jean-Luc", "J.".
fn name_shaped(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let rest: Vec<char> = chars.collect();
    first.is_uppercase()
        && (rest.is_empty()
            || rest == ['.']
            || rest
                .iter()
                .all(|c| c.is_alphabetic() || *c == '\'' || *c == '-')
                && rest.iter().any(|c| c.is_lowercase()))
}

/// A common given name, also as the first half of a double one ("Marie-Claire").
fn given(word: &str) -> bool {
    let first = word.split('-').next().unwrap_or(word);
    name_shaped(word) && GIVEN_NAMES.iter().any(|g| g.eq_ignore_ascii_case(first))
}

/// "Maria Lopez", "Lopez, Maria", "Dr. Rossi", "Marie-Claire Dubois": a common given name with
/// capitalised words, or a courtesy title before one.
fn is_person_name(text: &str) -> bool {
    if let Some((last, first)) = text.split_once(", ") {
        let firsts: Vec<&str> = first.split_whitespace().collect();
        let lasts: Vec<&str> = last.split_whitespace().collect();
        return (1..=2).contains(&firsts.len())
            && (1..=2).contains(&lasts.len())
            && given(firsts[0])
            && firsts.iter().chain(&lasts).all(|w| name_shaped(w));
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if !(2..=4).contains(&words.len()) {
        return false;
    }
    let titled = TITLES.contains(&words[0].trim_end_matches('.').to_lowercase().as_str());
    let rest = if titled { &words[1..] } else { &words[..] };
    rest.iter().all(|w| name_shaped(w)) && (titled || given(words[0]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ColumnKind;

    fn column(name: &str, values: &[&str]) -> Column {
        Column {
            name: name.into(),
            decl_type: "TEXT".into(),
            kind: ColumnKind::Text,
            primary_key: false,
            values: values.iter().map(|v| (*v).to_string()).collect(),
            index: Vec::new(),
        }
    }

    /// (table, column, a few of its values, personal?)
    const CASES: &[(&str, &str, &[&str], bool)] = &[
        // A small clinic: everything about patients stays home.
        ("patients", "full_name", &["Maria Lopez", "Tom Baker"], true),
        (
            "patients",
            "telephone",
            &["030 1234567", "+49 171 2345678"],
            true,
        ),
        (
            "patients",
            "diagnosis",
            &["asthma", "type 2 diabetes"],
            true,
        ),
        ("patients", "dob", &["1984-03-02", "1990-12-24"], true),
        ("patients", "city", &["Leipzig", "Halle"], true),
        ("patients", "insurer", &["AOK", "TK"], true),
        ("patients", "status", &["active", "discharged"], false),
        ("patients", "gender", &["F", "M", "X"], false),
        ("patients", "gender", &["F", "M", "Jo"], true),
        ("patients", "is_insured", &["yes", "no"], false),
        ("appointments", "doctor", &["Dr. Weber", "Dr. Rossi"], true),
        ("appointments", "room", &["A1", "B2"], false),
        (
            "appointments",
            "visit_type",
            &["first visit", "check-up"],
            false,
        ),
        ("prescriptions", "medication", &["ibuprofen"], true),
        // Accounts and orders.
        ("users", "username", &["mlopez", "tbaker"], true),
        ("users", "role", &["admin", "viewer"], false),
        ("users", "plan", &["free", "pro"], false),
        ("orders", "billing_name", &["Acme Ltd", "Tom Baker"], true),
        ("orders", "recipient", &["Front desk", "Tom Baker"], true),
        ("orders", "shipping_address", &["12 Main St"], true),
        ("orders", "zip", &["04109", "06108"], true),
        ("orders", "ShipPostalCode", &["04109"], true),
        ("orders", "shipping_method", &["standard", "express"], false),
        ("orders", "status", &["completed", "refunded"], false),
        ("orders", "channel", &["online", "store"], false),
        ("orders", "card_type", &["Visa", "Mastercard"], false),
        ("orders", "CardNumber", &["4111 1111 1111 1111"], true),
        (
            "orders",
            "payer_iban",
            &["DE89 3704 0044 0532 0130 00"],
            true,
        ),
        ("orders", "client_ip", &["192.168.1.20"], true),
        ("orders", "notes", &["leave at the door"], true),
        ("orders", "review_status", &["open", "closed"], false),
        ("orders", "last_status", &["shipped"], false),
        (
            "orders",
            "customer_segment",
            &["retail", "wholesale"],
            false,
        ),
        ("orders", "age_group", &["18-24", "25-34"], false),
        // Names of people under other words, and in fused names.
        ("Customer", "FirstName", &["Ava"], true),
        ("Employee", "LastName", &["Alder"], true),
        ("Employee", "Title", &["Sales Manager", "IT Staff"], false),
        ("Employee", "HomePhone", &["(206) 555-9857"], true),
        ("Suppliers", "ContactName", &["Charlotte Cooper"], true),
        ("Suppliers", "CompanyName", &["Exotic Liquids"], false),
        ("members", "fullname", &["Priya Shah"], true),
        ("tenants", "unit", &["1A", "2B"], false),
        ("tenants", "national_id", &["X1234567"], true),
        ("staff", "emailaddress", &["a@b.org"], true),
        ("sales", "customer", &["Ava Alder"], true),
        ("sales", "rep", &["Ben Birch"], true),
        ("events", "owner", &["ops"], true),
        // Public-data-like columns stay sendable.
        (
            "sales",
            "region",
            &["North", "South", "North America"],
            false,
        ),
        (
            "sales",
            "segment",
            &["Consumer", "Corporate", "Home Office"],
            false,
        ),
        (
            "sales",
            "category",
            &["Office Supplies", "Furniture"],
            false,
        ),
        (
            "sales",
            "city",
            &["Savannah", "Des Moines", "Portland ME"],
            false,
        ),
        (
            "countries",
            "name",
            &["United Kingdom", "New Zealand", "Costa Rica"],
            false,
        ),
        ("regions", "name", &["West", "East"], false),
        (
            "Genre",
            "Name",
            &["Rock", "Heavy Metal", "Easy Listening", "Sci Fi & Fantasy"],
            false,
        ),
        (
            "products",
            "product_name",
            &["Sleeping Bag", "Camp Stove"],
            false,
        ),
        ("products", "category", &["Camping", "Climbing"], false),
        ("orders", "currency", &["EUR", "USD"], false),
        ("tickets", "priority", &["high", "low"], false),
        ("tickets", "opened", &["2024-01-15", "15/01/2024"], false),
        ("prices", "band", &["1000-2000", "2000-5000"], false),
        ("inventory", "version", &["1.2.3"], false),
        // Unsure: a name in a table this module does not know stays home.
        ("ledger", "name", &["Rent", "Payroll"], true),
        // The values alone decide where the name says nothing.
        ("imports", "col_3", &["Maria Lopez"], true),
        ("imports", "col_4", &["maria@example.com"], true),
        ("imports", "col_5", &["Lopez, Maria"], true),
        ("imports", "col_6", &["5555 5555 5555 4444"], true),
        ("imports", "col_7", &["GB82 WEST 1234 5698 7654 32"], true),
        (
            "imports",
            "col_8",
            &["Hauptstraße 5", "Baker Street 221b"],
            true,
        ),
        ("imports", "col_9", &["fe80::1ff:fe23:4567:890a"], true),
        ("imports", "col_10", &["00:1A:2B:3C:4D:5E"], true),
        ("imports", "col_11", &["+44 20 7946 0958"], true),
        (
            "imports",
            "col_12",
            &["Grace Period", "Victoria Park", "Jack Plug"],
            false,
        ),
    ];

    #[test]
    fn personal_columns_are_found_by_name_table_and_content() {
        let mut wrong = Vec::new();
        for (table, name, values, expected) in CASES {
            let got = personal(table, &column(name, values));
            if got.is_some() != *expected {
                wrong.push(format!(
                    "{table}.{name} {values:?}: expected {}, got {got:?}",
                    if *expected { "personal" } else { "sendable" }
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} of {} wrong:\n{}",
            wrong.len(),
            CASES.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn each_value_check_knows_its_shape() {
        for (value, kind) in [
            ("maria.lopez+1@example.co.uk", "an e-mail address"),
            ("10.0.0.1", "an IP address"),
            ("4111-1111-1111-1111", "a card number"),
            ("DE89370400440532013000", "an IBAN"),
            ("(555) 123-4567", "a phone number"),
            ("0612345678", "a phone number"),
            ("12 Main St.", "a street address"),
            ("Dr. Rossi", "a person's name"),
            ("Marie-Claire Dubois", "a person's name"),
        ] {
            assert_eq!(looks_personal(value), Some(kind), "{value}");
        }
        for value in [
            "4111-1111-1111-1112",
            "DE89370400440532013001",
            "2024-01-15",
            "1000-2000",
            "12:30",
            "v1.2",
            "North",
            "Heavy Metal",
            "TK",
        ] {
            assert_eq!(looks_personal(value), None, "{value}");
        }
    }

    #[test]
    fn the_receipt_lists_what_was_held_back() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("db");
        crate::sample::generate(&mut conn, "2026-11-26".parse().expect("date"), 300)
            .expect("sample");
        let schema = crate::schema::introspect(&conn).expect("schema");
        let held = held_back(&schema);
        assert!(held.contains(&"customers.city".to_string()), "{held:?}");
        assert!(
            !held.iter().any(|c| c.starts_with("regions.")
                || c.ends_with(".status")
                || c.ends_with(".region")),
            "{held:?}"
        );
    }
}
