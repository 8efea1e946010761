"""The analysis engine behind getAnalysisData (and the reports made of analyses).

* definition.py  what an analysis asks for (objects, metrics, filters, time, paging, footers),
                 kept apart from any storage; config.py reads it from an `analysisConfig`
* metrics.py     every metric as a formula over additive components (page impressions, visits,
                 entries, durations ...), and how its cells are written
* sources.py     the one definition compiled to SQL (SQLAlchemy Core, so SQLite and PostgreSQL)
                 over either source: the raw hits and visits, or the daily pre-aggregates
* daily.py       keeping the daily pre-aggregates current (a day is recomputed per object when
                 its hits changed since)
* categories.py  imported category columns (customer, product, media, campaign, content) as
                 objects: what each is keyed by, their titles
* hit_keys.py    the products and order id of each hit, read again from its text per day (product
                 categories, e-commerce parameters)
* engine.py      running an analysis: which source answers, the queries per level, sorting,
                 paging, footers, and the result object clients read
"""
