//! Word lists and the base chart of accounts that make generated organisations look real.

/// A row of the base chart of accounts:
/// `(code, name, type, class, tax type, reporting code, reporting code name, system account)`.
pub type ChartRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

/// A New Zealand style chart of accounts, as a new Xero organisation starts with. The first
/// rows are the ones invoices and journals rely on; see [`Role`].
#[rustfmt::skip]
pub const BASE_CHART: &[ChartRow] = &[
    ("090", "Business Bank Account", "BANK", "ASSET", "NONE", "ASS", "Assets", None),
    ("610", "Accounts Receivable", "CURRENT", "ASSET", "NONE", "ASS.CUR.REC.TRA", "Trade Receivables", Some("DEBTORS")),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE", "LIA.CUR.PAY.TRA", "Trade Payables", Some("CREDITORS")),
    ("820", "GST", "CURRLIAB", "LIABILITY", "NONE", "LIA.CUR.TAX.GST", "GST Payable", Some("GST")),
    ("200", "Sales", "REVENUE", "REVENUE", "OUTPUT2", "REV.TRA.GOO", "Sale of Goods", None),
    ("400", "Advertising", "OVERHEADS", "EXPENSE", "INPUT2", "EXP.ADV", "Advertising", None),
    ("260", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT2", "REV.OTH", "Other Revenue", None),
    ("270", "Interest Income", "REVENUE", "REVENUE", "NONE", "REV.INV.INT", "Interest Income", None),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT2", "EXP.COS", "Cost of Sales", None),
    ("404", "Bank Fees", "OVERHEADS", "EXPENSE", "NONE", "EXP.FIN", "Finance Costs", None),
    ("408", "Cleaning", "OVERHEADS", "EXPENSE", "INPUT2", "EXP", "Expenses", None),
    ("412", "Consulting & Accounting", "EXPENSE", "EXPENSE", "INPUT2", "EXP", "Expenses", None),
    ("416", "Depreciation", "DEPRECIATN", "EXPENSE", "NONE", "EXP.DEP", "Depreciation", None),
    ("420", "Entertainment", "OVERHEADS", "EXPENSE", "INPUT2", "EXP.ENT", "Entertainment", None),
    ("425", "Freight & Courier", "OVERHEADS", "EXPENSE", "INPUT2", "EXP", "Expenses", None),
    ("429", "General Expenses", "OVERHEADS", "EXPENSE", "INPUT2", "EXP", "Expenses", None),
    ("433", "Insurance", "OVERHEADS", "EXPENSE", "INPUT2", "EXP.INS", "Insurance", None),
    ("437", "Interest Expense", "OVERHEADS", "EXPENSE", "NONE", "EXP.FIN.INT", "Interest Expense", None),
    ("441", "Legal expenses", "OVERHEADS", "EXPENSE", "INPUT2", "EXP", "Expenses", None),
    ("445", "Light, Power, Heating", "OVERHEADS", "EXPENSE", "INPUT2", "EXP", "Expenses", None),
    ("449", "Motor Vehicle Expenses", "OVERHEADS", "EXPENSE", "INPUT2", "EXP.VEH", "Motor Vehicle", None),
    ("453", "Office Expenses", "OVERHEADS", "EXPENSE", "INPUT2", "EXP", "Expenses", None),
    ("461", "Printing & Stationery", "OVERHEADS", "EXPENSE", "INPUT2", "EXP", "Expenses", None),
    ("469", "Rent", "OVERHEADS", "EXPENSE", "INPUT2", "EXP.REN", "Rent", None),
    ("473", "Repairs and Maintenance", "OVERHEADS", "EXPENSE", "INPUT2", "EXP", "Expenses", None),
    ("477", "Salaries", "EXPENSE", "EXPENSE", "NONE", "EXP.EMP.WAG", "Wages and Salaries", None),
    ("485", "Subscriptions", "OVERHEADS", "EXPENSE", "INPUT2", "EXP", "Expenses", None),
    ("489", "Telephone & Internet", "OVERHEADS", "EXPENSE", "INPUT2", "EXP", "Expenses", None),
    ("493", "Travel - National", "OVERHEADS", "EXPENSE", "INPUT2", "EXP.TRA", "Travel", None),
    ("710", "Office Equipment", "FIXED", "ASSET", "INPUT2", "ASS.NCA.FIX", "Fixed Assets", None),
    ("720", "Computer Equipment", "FIXED", "ASSET", "INPUT2", "ASS.NCA.FIX", "Fixed Assets", None),
    ("880", "Owner A Drawings", "EQUITY", "EQUITY", "NONE", "EQU.DRA", "Drawings", None),
    ("960", "Retained Earnings", "EQUITY", "EQUITY", "NONE", "EQU.RET", "Retained Earnings", Some("RETAINEDEARNINGS")),
    ("970", "Owner A Funds Introduced", "EQUITY", "EQUITY", "NONE", "EQU.CAP", "Capital", None),
];

/// Positions in [`BASE_CHART`] of the accounts with a fixed role.
#[derive(Debug, Clone, Copy)]
pub enum Role {
    /// The bank account payments go through.
    Bank = 0,
    /// Accounts Receivable (debtors control).
    Receivable = 1,
    /// Accounts Payable (creditors control).
    Payable = 2,
    /// GST (the tax control account).
    Tax = 3,
}

/// The smallest chart that still lets every journal kind balance (roles plus one revenue and
/// one expense account).
pub const MIN_ACCOUNTS: usize = 6;

/// Adjectives for company names.
pub const ADJECTIVES: &[&str] = &[
    "Blue",
    "Silver",
    "Golden",
    "Northern",
    "Southern",
    "Coastal",
    "Alpine",
    "Urban",
    "Rapid",
    "Bright",
    "Green",
    "Red",
    "Summit",
    "Harbour",
    "Kauri",
    "Pacific",
    "Tasman",
    "Rimu",
    "Totara",
    "Crimson",
    "Evergreen",
    "Ironbark",
    "Cedar",
    "Granite",
    "Maple",
    "Willow",
    "Falcon",
    "Kea",
    "Tui",
    "Pioneer",
    "Heritage",
    "Modern",
    "Classic",
    "Prime",
    "Swift",
    "Clear",
    "Bold",
    "Quiet",
    "Lucky",
    "Royal",
];

/// Nouns for company names.
pub const NOUNS: &[&str] = &[
    "Fish",
    "Tyres",
    "Builders",
    "Plumbing",
    "Bakery",
    "Coffee",
    "Print",
    "Design",
    "Logistics",
    "Electrical",
    "Gardens",
    "Motors",
    "Joinery",
    "Consulting",
    "Catering",
    "Cleaning",
    "Media",
    "Farms",
    "Vineyard",
    "Brewing",
    "Dental",
    "Fitness",
    "Travel",
    "Books",
    "Outdoors",
    "Labs",
    "Software",
    "Freight",
    "Glass",
    "Roofing",
    "Paint",
    "Flooring",
    "Signs",
    "Security",
    "Audio",
    "Marine",
    "Tiles",
    "Timber",
    "Optics",
    "Studios",
];

/// Company name suffixes.
pub const SUFFIXES: &[&str] = &[
    "Ltd", "Limited", "& Co", "Group", "NZ", "Trust", "Partners", "Holdings",
];

/// Given names.
pub const FIRST_NAMES: &[&str] = &[
    "Aroha",
    "Liam",
    "Olivia",
    "Noah",
    "Amelia",
    "Oliver",
    "Isla",
    "Jack",
    "Charlotte",
    "Leo",
    "Ava",
    "George",
    "Mia",
    "Hunter",
    "Harper",
    "Mason",
    "Ruby",
    "Lucas",
    "Sophie",
    "Nikau",
    "Mere",
    "Tama",
    "Grace",
    "Hemi",
    "Kiri",
    "Sam",
    "Ella",
    "Finn",
    "Zoe",
    "Max",
];

/// Family names.
pub const LAST_NAMES: &[&str] = &[
    "Smith", "Wilson", "Williams", "Brown", "Taylor", "Jones", "Ngata", "Walker", "Thompson",
    "White", "Harris", "Martin", "Anderson", "Clark", "Campbell", "Parata", "Scott", "Young",
    "King", "Wright", "Robinson", "Mitchell", "Kelly", "Baker", "Turner", "Tane", "Hall", "Allen",
    "Green", "Adams",
];

/// Cities with their region.
pub const CITIES: &[(&str, &str)] = &[
    ("Auckland", "Auckland"),
    ("Wellington", "Wellington"),
    ("Christchurch", "Canterbury"),
    ("Hamilton", "Waikato"),
    ("Tauranga", "Bay of Plenty"),
    ("Dunedin", "Otago"),
    ("Napier", "Hawke's Bay"),
    ("Nelson", "Nelson"),
    ("Palmerston North", "Manawatu-Wanganui"),
    ("Queenstown", "Otago"),
];

/// Street names.
pub const STREETS: &[&str] = &[
    "Queen Street",
    "Lambton Quay",
    "Colombo Street",
    "Victoria Street",
    "Cameron Road",
    "George Street",
    "Marine Parade",
    "Trafalgar Street",
    "Main Street",
    "Beach Road",
];

/// Invoice line descriptions.
pub const ITEMS: &[&str] = &[
    "Consulting services",
    "Monthly subscription",
    "Installation labour",
    "Replacement parts",
    "Freight charge",
    "Design work",
    "Support retainer",
    "Training session",
    "Site visit",
    "Hardware supply",
    "Software licence",
    "Cleaning service",
    "Catering order",
    "Printing job",
    "Maintenance contract",
    "Project milestone",
    "Materials",
    "Call-out fee",
];

/// Tracking categories and their options: every organisation gets these two.
pub const TRACKING: &[(&str, &[&str])] = &[
    ("Region", &["North", "South", "East", "West"]),
    ("Department", &["Sales", "Operations", "Administration"]),
];
