"""The built-in analysis objects, metrics and dynamic time intervals, with their titles in the
languages we have them in (en, de).

Titles are what clients send back in `analysisConfig`, so `find` resolves a title against every
language's alias regardless of the token's language; lists are emitted in the token's language.
fr/es/cn are accepted at login but have no public title tables: they get the English titles.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    key: str        # stable internal name the analysis engine uses
    en: str
    de: str | None = None  # None: the German title is the English one
    time: bool = False     # a time object (Days, Months ...): its rows follow the calendar
    also: tuple[str, ...] = ()  # further titles clients send for it (accepted, never emitted)

    def title(self, language: str | None) -> str:
        return self.de if language == "de" and self.de else self.en

    def aliases(self) -> tuple[str, ...]:
        return (self.en, *((self.de,) if self.de else ()), *self.also)


# Built-in objects, each computed from the hits (analysis/sources.py). Content groups (CG1, CG2
# ...) and custom parameters (cp12, cs800 ...) come on top, per account, from the hits it received.
# Not listed, because nothing collected computes them: Region, Provider, Plugins (no geo-IP or
# plugin data), Ad Media Path, Day since Customer Journey Start.
ANALYSIS_OBJECTS: tuple[Entry, ...] = (
    Entry("pages", "Pages", "Seiten"),
    Entry("page_urls", "Page URLs", "Seiten-URL", also=("Page URL",)),
    Entry("days", "Days", "Tage", time=True),
    Entry("weeks", "Weeks", "Wochen", time=True),
    Entry("weekdays", "Weekdays", "Wochentage", time=True),
    Entry("months", "Months", "Monate", time=True),
    Entry("years", "Years", "Jahre", time=True),
    Entry("hours", "Hours", "Stunden", time=True),
    Entry("minutes", "Minutes", "Minuten", time=True),
    Entry("browsers", "Browsers", "Browser"),
    Entry("operating_systems", "Operating Systems", "Betriebssysteme"),
    Entry("devices", "Devices", "Geräte"),
    Entry("countries", "Countries", "Länder"),
    Entry("referrers", "Referrers", "Referrer"),
    Entry("search_phrases", "Search Phrases", "Suchphrasen"),
    Entry("campaigns", "Campaigns", "Kampagnen", also=("Ad Media", "Werbemittel")),
    Entry("entry_pages", "Entry Pages", "Einstiegsseiten"),
    Entry("exit_pages", "Exit Pages", "Ausstiegsseiten"),
    Entry("entry_source_types", "Entry Source Types", "Einstiegsquellen-Typen"),
    Entry("media", "Media", "Medien"),
)

# German titles marked "—" in the vendor's tables have no known translation: they keep the
# English title.
METRICS: tuple[Entry, ...] = (
    Entry("page_impressions", "Page Impressions"),
    Entry("visits", "Visits"),
    Entry("visitors", "Visitors", "Besucher"),
    Entry("browsers_unique", "Browsers, Unique"),
    Entry("entries", "Entries", "Einstiege"),
    Entry("exits", "Exits", "Ausstiege"),
    Entry("bounces", "Bounces"),
    Entry("bounce_rate", "Bounce Rate %"),
    Entry("duration_seconds", "Duration (Seconds)", "Verweildauer (Sekunden)"),
    Entry("page_duration_avg", "Page Duration Avg"),
    Entry("visit_duration_avg", "Visit Duration Avg"),
    Entry("page_impressions_per_visit", "Page Impr. per Visit"),
    Entry("clicks", "Clicks", "Klicks"),
    Entry("visits_campaigns", "Visits (campaigns)", "Visits (Kampagnen)"),
    Entry("orders", "Orders", "Bestellungen"),
    Entry("order_value", "Order Value", "Bestellwert"),
    Entry("quantity", "Qty", "Anzahl"),
    Entry("media_views", "Media Views", "Medienansichten"),
    Entry("media_views_complete", "Media Views complete", "Medienansichten vollständig"),
    Entry("play_duration", "Play Duration", "Spieldauer"),
    Entry("share_of_visits", "% of All Visits"),
    Entry("share_of_visitors", "% of All Visitors"),
)

# getDynamicTimeIntervalList. Only `today` and `yesterday` are documented by the vendor; the
# other codes are OUR INVENTION: real accounts define their own, none are public.
DYNAMIC_TIME_INTERVALS: tuple[Entry, ...] = (
    Entry("today", "Today", "Heute"),
    Entry("yesterday", "Yesterday", "Gestern"),
    Entry("last_7_days", "Last 7 days", "Letzte 7 Tage"),                                # invented
    Entry("last_30_days", "Last 30 days", "Letzte 30 Tage"),                             # invented
    Entry("today_and_last_30_days", "Today and last 30 days", "Heute und letzte 30 Tage"),  # invented
    Entry("this_week", "This week", "Diese Woche"),                                      # invented
    Entry("last_week", "Last week", "Letzte Woche"),                                     # invented
    Entry("this_month", "This month", "Dieser Monat"),                                   # invented
    Entry("last_month", "Last month", "Letzter Monat"),                                  # invented
    Entry("this_year", "This year", "Dieses Jahr"),                                      # invented
    Entry("last_year", "Last year", "Letztes Jahr"),                                     # invented
)


def sorted_titles(entries, language: str | None) -> list[str]:
    """Titles in `language`, alphabetical (the vendor's lists are), ignoring letter case."""
    return sorted((entry.title(language) for entry in entries), key=lambda title: (title.casefold(), title))


def find(title: str, entries) -> Entry | None:
    """The entry any of whose language titles is `title`: exact match first, then ignoring case."""
    for entry in entries:
        if title in entry.aliases():
            return entry
    folded = title.casefold()
    for entry in entries:
        if any(alias.casefold() == folded for alias in entry.aliases()):
            return entry
    return None
