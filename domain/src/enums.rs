//! The enumerations of the model. Each is stored as its upper-case key string (its
//! name in the API too); `from_db` reads it back.

use anyhow::anyhow;
use chrono::{Datelike, Days, Duration, Months, NaiveDate};

use crate::error::Result;

/// Declares an enum stored as a string: the enum, `as_str` and `from_db`.
macro_rules! db_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $key:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            serde::Serialize, serde::Deserialize,
            Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
        )]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $key)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The key stored in the database and shown in the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $key),+
                }
            }

            /// Reads a stored key; an unknown one means the database holds something
            /// this version does not know, which is an internal error.
            pub fn from_db(raw: &str) -> Result<Self> {
                match raw {
                    $($key => Ok(Self::$variant),)+
                    other => Err(anyhow!("unknown {} {other:?} in the database", stringify!($name)).into()),
                }
            }
        }
    };
}

/// Every enumeration of the model, written once with the docs that explain it: calls
/// `$declare! { /// docs  Name { Variant => "KEY", ... } }` for each. This crate
/// declares them with `db_enum!` (the Rust enum, its stored key, `from_db`); the GraphQL
/// schema crate declares its GraphQL enums from the same list, so the two cannot drift
/// and the SDL's descriptions are these docs.
#[macro_export]
macro_rules! with_model_enums {
    ($declare:ident) => {
        $declare! {
            /// What a unit does.
            UnitFunction {
                /// The chief executive and the executive team.
                Executive => "EXECUTIVE",
                /// Marketing.
                Marketing => "MARKETING",
                /// Sales.
                Sales => "SALES",
                /// A combined commercial function (sales, marketing, growth under one head).
                Commercial => "COMMERCIAL",
                /// Product management.
                Product => "PRODUCT",
                /// Customer success and service.
                CustomerSuccess => "CUSTOMER_SUCCESS",
                /// Finance.
                Finance => "FINANCE",
                /// IT.
                It => "IT",
                /// A business unit: a line of business of its own.
                BusinessUnit => "BUSINESS_UNIT",
                /// Any other function.
                Other => "OTHER",
            }
        }
        $declare! {
            /// Who staffs a unit.
            Sourcing {
                /// The organization's own staff.
                InHouse => "IN_HOUSE",
                /// A separate legal entity of the group.
                Subsidiary => "SUBSIDIARY",
                /// An outside agency.
                Outsourced => "OUTSOURCED",
            }
        }
        $declare! {
            /// The leadership role of a position.
            PositionRole {
                /// Chief executive officer.
                Ceo => "CEO",
                /// Chief marketing officer.
                Cmo => "CMO",
                /// Chief commercial officer (or chief commercial and strategy officer).
                Cco => "CCO",
                /// Chief revenue officer.
                Cro => "CRO",
                /// Chief sales officer.
                Cso => "CSO",
                /// Vice president of marketing.
                VpMarketing => "VP_MARKETING",
                /// Vice president of sales.
                VpSales => "VP_SALES",
                /// The head of a unit, without a C-level title.
                Head => "HEAD",
                /// Any other leadership role.
                Other => "OTHER",
            }
        }
        $declare! {
            /// What a position answers for.
            Responsibility {
                /// The brand.
                Brand => "BRAND",
                /// Demand generation.
                Demand => "DEMAND",
                /// Revenue.
                Revenue => "REVENUE",
                /// Product management.
                ProductManagement => "PRODUCT_MANAGEMENT",
                /// Growth strategy.
                GrowthStrategy => "GROWTH_STRATEGY",
                /// Sales.
                Sales => "SALES",
                /// Communications.
                Communications => "COMMUNICATIONS",
                /// Customer experience.
                CustomerExperience => "CUSTOMER_EXPERIENCE",
                /// Digital marketing.
                Digital => "DIGITAL",
                /// Anything else.
                Other => "OTHER",
            }
        }
        $declare! {
            /// Where a scenario (a draft reorganization) stands.
            ScenarioStatus {
                /// Being drafted: changes may be added; it may be promoted, rebased or discarded.
                Draft => "DRAFT",
                /// Applied to the live structure.
                Promoted => "PROMOTED",
                /// Ended without being applied.
                Discarded => "DISCARDED",
            }
        }
        $declare! {
            /// A reporting line's kind.
            LineKind {
                /// The line that decides who a unit answers to: at most one current per unit.
                Solid => "SOLID",
                /// A matrix line: coordination without command.
                Dotted => "DOTTED",
            }
        }
        $declare! {
            /// The four maturity stages of a marketing department.
            StageKey {
                /// Stage 1: campaigns and brand, judged on how the budget is spent.
                Traditional => "TRADITIONAL",
                /// Stage 2: accountable for leads at the top of the funnel.
                LeadGeneration => "LEAD_GENERATION",
                /// Stage 3: one demand waterfall shared with sales, judged on pipeline.
                Opportunity => "OPPORTUNITY",
                /// Stage 4: accountable for revenue.
                Revenue => "REVENUE",
            }
        }
        $declare! {
            /// The unit a KPI is measured in.
            KpiUnit {
                /// An amount of money.
                Currency => "CURRENCY",
                /// A number of things: leads, deals, opportunities.
                Count => "COUNT",
                /// A percentage.
                Percent => "PERCENT",
                /// A ratio of two amounts (marketing ROI: revenue per unit of spend).
                Ratio => "RATIO",
                /// A number of days.
                Days => "DAYS",
            }
        }
        $declare! {
            /// Which way a KPI is better.
            KpiDirection {
                /// A rising value is good news (leads, revenue).
                HigherIsBetter => "HIGHER_IS_BETTER",
                /// A falling value is good news (cost per lead, days to close).
                LowerIsBetter => "LOWER_IS_BETTER",
            }
        }
        $declare! {
            /// How a KPI's periods roll up into a coarser period.
            Rollup {
                /// A coarser period's value is the sum of its points (counts, amounts).
                Sum => "SUM",
                /// A coarser period's value is the mean of its points (rates, percentages).
                Average => "AVERAGE",
                /// A coarser period's value is that of its latest period (the mean, when
                /// several points share it).
                Last => "LAST",
            }
        }
        $declare! {
            /// The leadership priorities of marketing leaders.
            PriorityKey {
                /// Defining and instilling company values.
                CompanyValues => "COMPANY_VALUES",
                /// Building and managing stakeholder relationships.
                StakeholderRelationships => "STAKEHOLDER_RELATIONSHIPS",
                /// Equipping the company with new-media skills and tools.
                NewMediaCapability => "NEW_MEDIA_CAPABILITY",
                /// Building and managing trust in all its dimensions.
                Trust => "TRUST",
            }
        }
        $declare! {
            /// Where marketing sits relative to sales, as an organization declares it.
            CollaborationModel {
                /// Marketing reports to the CEO or executive team.
                Independent => "INDEPENDENT",
                /// Independent, with dotted lines into business units.
                IndependentMatrix => "INDEPENDENT_MATRIX",
                /// Marketing's solid line goes to sales.
                ReportsToSales => "REPORTS_TO_SALES",
                /// Sales reports to marketing.
                SalesReportsToMarketing => "SALES_REPORTS_TO_MARKETING",
                /// An outside agency or a subsidiary does marketing.
                Outsourced => "OUTSOURCED",
                /// No CMO: marketing sits inside a broader commercial role.
                CommercialLeadership => "COMMERCIAL_LEADERSHIP",
                /// Marketing reports to a business unit (not to its sales team).
                EmbeddedInBusinessUnit => "EMBEDDED_IN_BUSINESS_UNIT",
                /// Different marketing units follow different models.
                Mixed => "MIXED",
            }
        }
        $declare! {
            /// The length of a KPI period.
            Granularity {
                /// One calendar day.
                Day => "DAY",
                /// A week starting on Monday.
                Week => "WEEK",
                /// A calendar month, starting on the 1st.
                Month => "MONTH",
                /// A calendar quarter, starting on 1 January, April, July or October.
                Quarter => "QUARTER",
                /// A calendar year, starting on 1 January.
                Year => "YEAR",
            }
        }
        $declare! {
            /// Whether a stakeholder is a unit of the organization or an outside group.
            StakeholderKind {
                /// A unit of the organization.
                Internal => "INTERNAL",
                /// A group outside the organization.
                External => "EXTERNAL",
            }
        }
        $declare! {
            /// The outside groups marketing keeps relationships with.
            StakeholderGroup {
                /// Customers.
                Customers => "CUSTOMERS",
                /// Employees.
                Employees => "EMPLOYEES",
                /// Investors and shareholders.
                Investors => "INVESTORS",
                /// The board of directors.
                Board => "BOARD",
                /// Business partners.
                Partners => "PARTNERS",
                /// The community around the company.
                Community => "COMMUNITY",
                /// Journalists and the media.
                Media => "MEDIA",
                /// Regulators and public authorities.
                Regulators => "REGULATORS",
            }
        }
        $declare! {
            /// How strong a relationship is.
            RelationshipStrength {
                /// The weakest of the three.
                Weak => "WEAK",
                /// Between weak and strong.
                Moderate => "MODERATE",
                /// The strongest of the three.
                Strong => "STRONG",
            }
        }
    };
}

with_model_enums!(db_enum);

impl Responsibility {
    /// A position's responsibilities as stored: sorted keys, no duplicates.
    pub fn json(list: &[Self]) -> serde_json::Value {
        let mut keys: Vec<&str> = list.iter().map(|r| r.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        serde_json::Value::from(keys)
    }
}

impl Granularity {
    /// Finer periods first.
    pub fn rank(self) -> u8 {
        match self {
            Self::Day => 0,
            Self::Week => 1,
            Self::Month => 2,
            Self::Quarter => 3,
            Self::Year => 4,
        }
    }

    /// The first day of the period holding `date`: the day itself, its week's Monday,
    /// or the first day of its month, quarter or year. The one place period arithmetic
    /// lives: ingestion, targets, roll-ups and charts all ask here.
    pub fn period_start(self, date: NaiveDate) -> NaiveDate {
        let first_of = |month: u32| NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date);
        match self {
            Self::Day => date,
            Self::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Self::Month => first_of(date.month()),
            Self::Quarter => first_of(date.month0() / 3 * 3 + 1),
            Self::Year => first_of(1),
        }
    }

    /// The day after the period starting on `start` (its exclusive end); `None` past
    /// the last date chrono can represent.
    pub fn period_end(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            Self::Day => start.succ_opt(),
            Self::Week => start.checked_add_days(Days::new(7)),
            Self::Month => start.checked_add_months(Months::new(1)),
            Self::Quarter => start.checked_add_months(Months::new(3)),
            Self::Year => start.checked_add_months(Months::new(12)),
        }
    }

    /// Whether `date` starts a period of this granularity (a Monday for weeks, the
    /// first day of a month, quarter or year).
    pub fn starts_period(self, date: NaiveDate) -> bool {
        self.period_start(date) == date
    }

    /// The shortest length of one period in days: how many periods a range can hold
    /// at most is its length divided by this.
    pub fn min_days(self) -> i64 {
        match self {
            Self::Day => 1,
            Self::Week => 7,
            Self::Month => 28,
            Self::Quarter => 90,
            Self::Year => 365,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ymd as d;

    #[test]
    fn every_granularity_finds_the_start_and_end_of_the_period_holding_a_day() {
        let day = d(2024, 8, 15); // a Thursday
        let cases = [
            (Granularity::Day, d(2024, 8, 15), d(2024, 8, 16)),
            (Granularity::Week, d(2024, 8, 12), d(2024, 8, 19)),
            (Granularity::Month, d(2024, 8, 1), d(2024, 9, 1)),
            (Granularity::Quarter, d(2024, 7, 1), d(2024, 10, 1)),
            (Granularity::Year, d(2024, 1, 1), d(2025, 1, 1)),
        ];
        for (granularity, start, end) in cases {
            assert_eq!(granularity.period_start(day), start, "{granularity:?}");
            assert_eq!(granularity.period_end(start), Some(end), "{granularity:?}");
            assert!(granularity.starts_period(start), "{granularity:?}");
            assert!((end - start).num_days() >= granularity.min_days());
        }
        assert!(!Granularity::Week.starts_period(day));
        assert!(Granularity::Day.starts_period(day));
        assert!(!Granularity::Quarter.starts_period(d(2024, 8, 1)));
    }
}
