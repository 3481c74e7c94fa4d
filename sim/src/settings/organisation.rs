//! `GET /Organisation`: the one record of the organisation itself, without `UpdatedDateUTC`;
//! a change renames it.

use rand::rngs::SmallRng;
use serde_json::json;

use crate::dates::envelope_date;
use crate::outcome::Outcome;
use crate::postings::new_id;
use crate::record::Record;

/// The organisation named `name`, created at `start`.
pub fn generate(rng: &mut SmallRng, name: &str, start: i64) -> Vec<Record> {
    let org = new_id(rng);
    vec![Record::named(
        org.to_string(),
        json!({"OrganisationID": org, "Name": name, "LegalName": format!("{name} Limited"),
               "PaysTax": true, "Version": "NZ", "OrganisationType": "COMPANY",
               "BaseCurrency": "NZD", "CountryCode": "NZ", "IsDemoCompany": false,
               "OrganisationStatus": "ACTIVE", "FinancialYearEndDay": 31,
               "FinancialYearEndMonth": 3, "SalesTaxBasis": "INVOICE",
               "SalesTaxPeriod": "ONEMONTHS", "DefaultSalesTax": "Tax Exclusive",
               "DefaultPurchasesTax": "Tax Inclusive", "CreatedDateUTC": envelope_date(start),
               "Timezone": "NEWZEALANDSTANDARDTIME", "OrganisationEntityType": "COMPANY",
               "ShortCode": "!sim42", "Class": "STANDARD", "Edition": "BUSINESS"}),
    )]
}

/// The organisation renamed.
pub fn change(organisation: &mut [Record], stamp: i64, out: &mut Outcome) {
    organisation[0].body["LegalName"] = json!(format!("Renamed {stamp} Limited"));
    organisation[0].body["Name"] = json!(format!("Renamed {stamp}"));
    out.updated += 1;
}
