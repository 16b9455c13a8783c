//! The planner's vocabulary, as data: what everyday words mean (shared/docs/sample-data.md).
//! Schema-specific words (column names, table names, stored values) come from the schema model;
//! this table only holds the language that is the same for every database.

/// Words for the same business concept. The first entry is the canonical name; a measure
/// concept resolves to the first numeric column whose name matches any entry.
pub const MEASURE_SYNONYMS: &[&[&str]] = &[
    &[
        "revenue", "sales", "turnover", "income", "takings", "gmv", "amount", "total",
    ],
    &["profit", "profits", "earnings"],
    &["quantity", "units", "unit", "qty", "volume"],
    &["cost", "costs", "expense", "expenses", "spend", "cogs"],
    &["price", "unit_price", "prices", "worth"],
    &["discount", "discounts"],
];

/// Entity words: the canonical singular and its synonyms (customers/clients, products/items).
pub const ENTITY_SYNONYMS: &[&[&str]] = &[
    &[
        "customer",
        "customers",
        "client",
        "clients",
        "buyer",
        "buyers",
        "shopper",
        "shoppers",
    ],
    &[
        "product", "products", "item", "items", "sku", "skus", "article", "articles",
    ],
    &[
        "order",
        "orders",
        "invoice",
        "invoices",
        "transaction",
        "transactions",
        "purchase",
        "purchases",
        "sale",
    ],
    &[
        "region",
        "regions",
        "area",
        "areas",
        "territory",
        "territories",
    ],
    &["category", "categories", "type", "types"],
    &["employee", "employees", "staff", "rep", "reps"],
    &["supplier", "suppliers", "vendor", "vendors"],
    &["country", "countries", "nation"],
    &[
        "company",
        "companies",
        "firm",
        "firms",
        "corporation",
        "corporations",
        "enterprise",
        "enterprises",
    ],
];

/// Words that change data: a question that leads with them is refused.
pub const WRITE_VERBS: &[&str] = &[
    "delete",
    "drop",
    "truncate",
    "insert",
    "update",
    "alter",
    "erase",
    "wipe",
    "remove",
    "purge",
    "destroy",
    "overwrite",
    "rename",
    "modify",
    "replace",
    "reset",
    "clear",
];

/// Words that carry no meaning of their own in a data question.
pub const FILLER: &[&str] = &[
    "show",
    "me",
    "us",
    "give",
    "get",
    "got",
    "list",
    "tell",
    "what",
    "whats",
    "which",
    "who",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "the",
    "a",
    "an",
    "of",
    "for",
    "in",
    "on",
    "at",
    "to",
    "our",
    "we",
    "my",
    "i",
    "did",
    "do",
    "does",
    "how",
    "much",
    "many",
    "all",
    "please",
    "can",
    "you",
    "could",
    "would",
    "with",
    "and",
    "had",
    "have",
    "has",
    "there",
    "that",
    "it",
    "its",
    "from",
    "during",
    "over",
    "across",
    "each",
    "every",
    "so",
    "far",
    "see",
    "display",
    "chart",
    "graph",
    "plot",
    "table",
    "breakdown",
    "broken",
    "down",
    "split",
    "make",
    "made",
    "generated",
    "generate",
    "earned",
    "earn",
    "bring",
    "brought",
    "by",
    "per",
    "overall",
    "value",
    "values",
    "number",
    "count",
    "total",
    "sum",
    "sold",
    "distinct",
    "unique",
    "different",
    "comes",
    "come",
    "came",
    "sell",
    "selling",
    "this",
    "time",
    "period",
    "data",
    "let",
    "know",
    "view",
    "look",
    "find",
    "compute",
    "calculate",
    "report",
    "up",
    "into",
    "as",
    "any",
    "some",
    "them",
    "they",
    "their",
    "versus",
    "vs",
    "between",
    "within",
    "than",
    "most",
    "least",
    "best",
    "worst",
    "top",
    "bottom",
    "highest",
    "lowest",
    "biggest",
    "largest",
    "smallest",
    "more",
    "less",
    "fewer",
    "current",
    "ever",
    "altogether",
    "combined",
    "along",
    "together",
    "by",
    "hey",
    "ok",
    "okay",
    "just",
    "now",
    "currently",
    "where",
];

/// Vague words: a question made only of these and filler asks for clarification, not a fallback.
pub const VAGUE: &[&str] = &[
    "stand",
    "standing",
    "unusual",
    "lately",
    "anything",
    "happening",
    "interesting",
    "notable",
    "highlights",
    "snapshot",
    "picture",
    "doing",
    "numbers",
    "number",
    "performance",
    "performing",
    "stats",
    "statistics",
    "figures",
    "metrics",
    "kpi",
    "kpis",
    "results",
    "business",
    "going",
    "things",
    "overview",
    "summary",
    "dashboard",
    "info",
    "information",
    "trend",
    "trends",
    "insights",
    "status",
    "update",
    "health",
    "look",
    "looking",
    "data",
    "report",
    "good",
    "bad",
    "well",
];

/// "by month", "monthly", … → a time grain.
pub const GRAINS: &[(&[&str], Grain)] = &[
    (&["daily", "day", "days", "date", "dates"], Grain::Day),
    (&["weekly", "week", "weeks"], Grain::Week),
    (&["monthly", "month", "months"], Grain::Month),
    (&["quarterly", "quarter", "quarters"], Grain::Quarter),
    (
        &["yearly", "annual", "annually", "year", "years"],
        Grain::Year,
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Grain {
    pub fn label(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        }
    }
}

/// Words that ask for the largest first / smallest first.
/// Numbers written as words, by value ("five" → 5).
pub const NUMBER_WORDS: [&str; 21] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

/// The value of a number word ("twelve" → 12).
pub fn number_word(word: &str) -> Option<u32> {
    NUMBER_WORDS
        .iter()
        .position(|w| *w == word)
        .and_then(|i| u32::try_from(i).ok())
}

pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

pub const DESCENDING: &[&str] = &[
    "top", "best", "highest", "most", "biggest", "largest", "greatest", "leading", "max",
    "maximum", "peak", "peaked",
];
pub const ASCENDING: &[&str] = &[
    "bottom", "worst", "lowest", "least", "smallest", "fewest", "min", "minimum",
];

/// The canonical form of `word` within a synonym table, if it is in one.
pub fn canonical<'a>(table: &'a [&'a [&'a str]], word: &str) -> Option<&'a str> {
    table
        .iter()
        .find(|group| group.contains(&word))
        .map(|group| group[0])
}

/// Singular of a simple English plural ("categories" → "category", "regions" → "region").
pub fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if word.ends_with("ss") || word.ends_with("us") || word.len() <= 3 {
        word.to_string()
    } else if let Some(stem) = word
        .strip_suffix("es")
        .filter(|s| s.ends_with("ch") || s.ends_with("sh") || s.ends_with('x'))
    {
        stem.to_string()
    } else {
        word.strip_suffix('s').unwrap_or(word).to_string()
    }
}

/// Abbreviations found in column and table names, and the word each stands for (`ship_dt` →
/// ship date, `unit_px` → unit price). Read by [`super::model::name_words`], so every match
/// against a column works on the expanded words. `no`/`num`/`nbr` only expand at the end of a
/// longer name (`invoice_no`), where they cannot be the word "no".
pub const ABBREVIATIONS: &[(&str, &str)] = &[
    ("dt", "date"),
    ("dte", "date"),
    ("ts", "timestamp"),
    ("px", "price"),
    ("prc", "price"),
    ("qty", "quantity"),
    ("qnty", "quantity"),
    ("amt", "amount"),
    ("cnt", "count"),
    ("ct", "count"),
    ("cust", "customer"),
    ("desc", "description"),
    ("descr", "description"),
    ("pct", "percent"),
    ("perc", "percent"),
    ("yr", "year"),
    ("yrs", "years"),
    ("mo", "month"),
    ("mth", "month"),
    ("wk", "week"),
    ("hr", "hour"),
    ("hrs", "hours"),
    ("min", "minimum"),
    ("mins", "minutes"),
    ("max", "maximum"),
    ("avg", "average"),
    ("tot", "total"),
    ("ttl", "total"),
    ("emp", "employee"),
    ("empl", "employee"),
    ("dept", "department"),
    ("prod", "product"),
    ("cat", "category"),
    ("addr", "address"),
    ("acct", "account"),
    ("bal", "balance"),
    ("inv", "invoice"),
    ("ord", "order"),
    ("rev", "revenue"),
    ("disc", "discount"),
    ("wt", "weight"),
    ("dist", "distance"),
    ("dur", "duration"),
    ("temp", "temperature"),
    ("loc", "location"),
    ("cty", "city"),
    ("ctry", "country"),
    ("reg", "region"),
    ("sal", "salary"),
    ("mgr", "manager"),
    ("svc", "service"),
    ("txn", "transaction"),
    ("trans", "transaction"),
    ("pmt", "payment"),
    ("pymt", "payment"),
    ("dlvry", "delivery"),
    ("arr", "arrival"),
    ("dep", "departure"),
    ("sched", "scheduled"),
    ("val", "value"),
    ("vol", "volume"),
    ("dest", "destination"),
    ("orig", "origin"),
    ("src", "source"),
];

/// Abbreviations that only expand as the last word of a longer name (`invoice_no`, `order_num`).
pub const TRAILING_ABBREVIATIONS: &[(&str, &str)] = &[
    ("no", "number"),
    ("num", "number"),
    ("nbr", "number"),
    ("nr", "number"),
];

/// The word an abbreviation in a name stands for, if it is one.
pub fn expand_abbreviation(part: &str, last_of_several: bool) -> Option<&'static str> {
    ABBREVIATIONS
        .iter()
        .chain(if last_of_several {
            TRAILING_ABBREVIATIONS
        } else {
            &[]
        })
        .find(|(a, _)| *a == part)
        .map(|(_, w)| *w)
}

/// Superlative adjectives that name both a direction and the kind of column they measure:
/// "cheapest" is the lowest price, "heaviest" the highest weight. The column words are tried in
/// order against the expanded words of every numeric (or date) column.
pub const SUPERLATIVES: &[(&str, bool, &[&str])] = &[
    (
        "cheapest",
        false,
        &["price", "cost", "fare", "fee", "amount", "rate"],
    ),
    (
        "priciest",
        true,
        &["price", "cost", "fare", "fee", "amount", "rate"],
    ),
    (
        "heaviest",
        true,
        &[
            "weight", "mass", "kg", "lbs", "pounds", "grams", "carat", "tons",
        ],
    ),
    (
        "lightest",
        false,
        &[
            "weight", "mass", "kg", "lbs", "pounds", "grams", "carat", "tons",
        ],
    ),
    (
        "longest",
        true,
        &[
            "duration", "length", "time", "distance", "minutes", "hours", "days",
        ],
    ),
    (
        "shortest",
        false,
        &[
            "duration", "length", "time", "distance", "minutes", "hours", "days",
        ],
    ),
    ("farthest", true, &["distance", "miles", "km"]),
    ("furthest", true, &["distance", "miles", "km"]),
    ("nearest", false, &["distance", "miles", "km"]),
    ("tallest", true, &["height"]),
    ("oldest", true, &["age"]),
    ("youngest", false, &["age"]),
    ("latest", true, &["delay", "late"]),
    ("slowest", false, &["speed"]),
    ("fastest", true, &["speed"]),
];

/// "most expensive", "least expensive": the adjective after most/least, with the same meaning.
pub const COMPARATIVE_ADJECTIVES: &[(&str, &[&str])] = &[
    (
        "expensive",
        &["price", "cost", "fare", "fee", "amount", "rate"],
    ),
    ("costly", &["price", "cost", "fare", "fee", "amount"]),
    ("valuable", &["value", "price", "amount", "worth"]),
    ("recent", &[]),
    ("delayed", &["delay"]),
    ("profitable", &["profit", "margin"]),
];

/// Words for the rows of whatever table is asked about ("the 10 largest records").
pub const RECORD_WORDS: &[&str] = &[
    "row",
    "rows",
    "record",
    "records",
    "entry",
    "entries",
    "line",
    "lines",
    "observation",
    "observations",
];

/// Words in a numeric column's name that make adding it up meaningless: a price, a rate or an
/// age is averaged by default ("price by cut" is the average price), and only summed when the
/// question says "total" or "sum".
pub const NON_ADDITIVE: &[&str] = &[
    // Per-person rates and levels that a sum over time would count again each period.
    "capita",
    "percap",
    "pc",
    "population",
    "pop",
    "inventory",
    "headcount",
    "avg",
    "pct",
    "price",
    "rate",
    "rating",
    "ratio",
    "percent",
    "percentage",
    "age",
    "temperature",
    "score",
    "speed",
    "average",
    "mean",
    "median",
    "latitude",
    "longitude",
    "lat",
    "lon",
    "lng",
    "height",
    "delay",
    "duration",
    "margin",
    "pressure",
    "humidity",
    "index",
    "grade",
    "rank",
    "level",
    "balance",
    "capacity",
    "salary",
    "wage",
    "fare",
];

/// True for words the lexicon itself gives a meaning to (superlatives, record words, number
/// words): spelling correction must not turn them into a column's name ("expensive" → "expense").
pub fn is_known_word(w: &str) -> bool {
    SUPERLATIVES.iter().any(|(s, _, _)| *s == w)
        || COMPARATIVE_ADJECTIVES.iter().any(|(a, _)| *a == w)
        || RECORD_WORDS.contains(&w)
        || DESCENDING.contains(&w)
        || ASCENDING.contains(&w)
        || number_word(w).is_some()
        || WEEKDAYS.contains(&w)
        || matches!(
            w,
            "newest"
                | "latest"
                | "earliest"
                | "oldest"
                | "minimum"
                | "maximum"
                | "average"
                | "median"
        )
}

/// Units and the kind of column each measures: "1,000 miles" is a distance, "3 kg" a weight.
pub const UNITS: &[(&str, &[&str])] = &[
    ("mile", &["distance", "miles", "mileage"]),
    ("mi", &["distance", "miles"]),
    ("km", &["distance", "km", "kilometers"]),
    ("kilometer", &["distance", "km"]),
    ("kilometre", &["distance", "km"]),
    ("kg", &["weight", "kg", "mass"]),
    ("kilo", &["weight", "kg"]),
    ("kilogram", &["weight", "kg"]),
    ("lb", &["weight", "lbs", "pounds"]),
    ("lbs", &["weight", "lbs", "pounds"]),
    ("pound", &["weight", "lbs", "pounds"]),
    ("gram", &["weight", "grams"]),
    ("ton", &["weight", "tons", "tonnage"]),
    ("minute", &["duration", "minutes", "time", "delay"]),
    ("hour", &["duration", "hours", "time"]),
    ("second", &["duration", "seconds"]),
    ("dollar", &["price", "amount", "cost", "revenue"]),
    ("euro", &["price", "amount", "cost", "revenue"]),
    ("carat", &["carat", "weight"]),
    (
        "litre",
        &[
            "displacement",
            "displ",
            "volume",
            "liters",
            "litres",
            "capacity",
        ],
    ),
    (
        "liter",
        &[
            "displacement",
            "displ",
            "volume",
            "liters",
            "litres",
            "capacity",
        ],
    ),
    ("cent", &["price", "tax", "cost", "amount", "fare"]),
    ("percent", &["percent", "pct", "rate", "share"]),
];

/// Verbs that say which kind of figure a comparison is about ("weigh more than", "cost over").
pub const MEASURE_VERBS: &[&str] = &[
    "cost", "costs", "costing", "priced", "weigh", "weighs", "weighed", "weighing", "measure",
    "measures", "last", "lasted", "took", "take", "takes", "flew", "flown", "earned", "earn",
    "earns", "paid", "pay", "spent", "spend",
];

/// A simple English plural ("category" → "categories"), for rephrasings.
pub fn plural(word: &str) -> String {
    if word.ends_with('s') {
        word.to_string()
    } else if let Some(stem) = word
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else if word.ends_with("ch") || word.ends_with("sh") || word.ends_with('x') {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

/// Nouns that name the kind of value a grouping column holds ("clarity *grades*", "origin
/// *airport*", "size *band*"): after a grouping they add nothing to read.
pub const CLASS_NOUNS: &[&str] = &[
    "grade", "grades", "level", "levels", "type", "types", "kind", "kinds", "class", "classes",
    "tier", "tiers", "band", "bands", "group", "groups", "code", "codes", "airport", "airports",
    "station", "stations", "value", "values", "label", "labels",
];

/// Words that qualify a money figure without changing which column it is ("market value",
/// "list price", "retail price").
pub const MONEY_QUALIFIERS: &[&str] = &[
    "market", "list", "retail", "sale", "selling", "asking", "book", "face", "current",
];

/// Verbs of the event a row records ("flights that *went* to BOS", "the largest tip anyone
/// *left*"): read once a figure or a count is.
pub const EVENT_VERBS: &[&str] = &[
    "sent",
    "send",
    "mailed",
    "dispatched",
    "returned",
    "ordered",
    "bought",
    "purchased",
    "went",
    "go",
    "goes",
    "gone",
    "left",
    "leave",
    "leaves",
    "arrived",
    "arrive",
    "arrives",
    "departed",
    "depart",
    "came",
    "come",
    "shipped",
    "ship",
    "sold",
    "sell",
    "delivered",
    "deliver",
    "gave",
    "give",
    "given",
    "received",
    "receive",
    "made",
    "happened",
    "recorded",
    "logged",
    "booked",
    "placed",
    "took",
    "flew",
    "fly",
    "flown",
    "worked",
    "work",
    "invested",
    "invest",
    "spent",
];

/// Figures where more is worse: "the worst delay" is the largest, "the best cost" the smallest.
pub const WORSE_WHEN_HIGHER: &[&str] = &[
    "delay",
    "delays",
    "cost",
    "costs",
    "expense",
    "expenses",
    "loss",
    "losses",
    "return",
    "returns",
    "refund",
    "refunds",
    "complaint",
    "complaints",
    "churn",
    "defect",
    "defects",
    "error",
    "errors",
    "late",
    "lateness",
    "wait",
    "waiting",
    "downtime",
    "debt",
    "discount",
    "cancellation",
    "cancellations",
    "incident",
    "incidents",
    "unemployment",
    "absence",
    "absences",
    "shrinkage",
    "spoilage",
];

/// Verbs that say which kind of figure they are about ("cost more than $100" is a price).
pub const VERB_KINDS: &[(&[&str], &[&str])] = &[
    (
        &[
            "cost", "costs", "costing", "costed", "priced", "sells", "sold",
        ],
        &["price", "cost", "amount", "fare"],
    ),
    (
        &["weigh", "weighs", "weighed", "weighing"],
        &["weight", "mass", "kg", "lbs", "carat"],
    ),
    (
        &["flew", "flown", "travelled", "traveled", "drove", "driven"],
        &["distance", "miles", "km"],
    ),
    (
        &["lasted", "last", "lasts", "took", "takes"],
        &["duration", "minutes", "hours", "time"],
    ),
    (
        &["earned", "earn", "earns", "made"],
        &["revenue", "income", "earnings", "salary", "amount"],
    ),
    (
        &["paid", "pay", "pays", "spent", "spend", "spends"],
        &["amount", "price", "cost", "total"],
    ),
];

/// One word for all its synonyms and forms: "sales", "turnover" → "revenue"; "clients" →
/// "customer". Measures first ("sales" is revenue, not the entity "sale").
pub fn canonical_word(w: &str) -> String {
    if let Some(n) = number_word(w) {
        return n.to_string();
    }
    // Time grains as one word: "monthly" = "per month".
    for (adjective, grain) in [
        ("daily", "day"),
        ("weekly", "week"),
        ("monthly", "month"),
        ("quarterly", "quarter"),
        ("yearly", "year"),
        ("annual", "year"),
    ] {
        if w == adjective {
            return grain.to_string();
        }
    }
    let single = singular(w);
    canonical(MEASURE_SYNONYMS, w)
        .or_else(|| canonical(MEASURE_SYNONYMS, &single))
        .or_else(|| canonical(ENTITY_SYNONYMS, w))
        .or_else(|| canonical(ENTITY_SYNONYMS, &single))
        .map_or(single.clone(), singular)
}
