"""Media hits (mi, mk, mt1) and the okr client's podcast analysis: Medien x (Medienansichten,
Medienansichten vollständig, Spieldauer) with its two wildcard rules."""

import pytest

from tests.mapp.helpers import NOW_MS, analysis, hit, login_token

pytestmark = pytest.mark.usefixtures("services", "world")
T = NOW_MS - 3 * 3_600_000
MIN = 60_000


def media(http, eid, name, action, position, at):
    hit(http, "player", eid=eid, at_ms=T + at * MIN, mi=name, mk=action, mt1=str(position), mt2="600")


@pytest.mark.parametrize("raw", [0, 1])
def test_the_okr_podcast_analysis(http, raw):
    # a: plays the audio to its end, then again in the same visit (one view), and a video
    media(http, "a", "podcast_audio_mdb-123", "init", 0, 0)
    media(http, "a", "podcast_audio_mdb-123", "play", 0, 1)
    media(http, "a", "podcast_audio_mdb-123", "pos", 300, 6)
    media(http, "a", "podcast_audio_mdb-123", "eof", 600, 11)
    media(http, "a", "podcast_audio_mdb-123", "play", 0, 12)
    media(http, "a", "video_mdb-9", "play", 0, 13)
    media(http, "a", "video_mdb-9", "pause", 45.5, 14)
    # b: the same audio, stopped at 120 s; then a new visit for the AMP audio; a livestream
    media(http, "b", "podcast_audio_mdb-123", "play", 0, 0)
    media(http, "b", "podcast_audio_mdb-123", "pause", 120, 2)
    media(http, "b", "audio_mdb-456_AMP", "play", 0, 40)
    media(http, "b", "audio_mdb-456_AMP", "stop", 40, 41)
    media(http, "b", "audio_Livestream", "play", 0, 45)
    hit(http, "home", eid="b", at_ms=T + 46 * MIN)  # a page view is no media hit
    result = analysis(http, login_token(http, language="de"), startTime="2024-06-12", stopTime="2024-06-12", forceRawData=raw,
                      analysisObjects=[{"title": "Medien"}],
                      metrics=[{"title": "Medienansichten", "sortOrder": "desc"}, {"title": "Medienansichten vollst\u00e4ndig"},
                               {"title": "Spieldauer"}],
                      analysisFilter={"filterRules": [{"objectTitle": "Medien", "comparator": "=", "filter": "*audio*"},
                                                      {"objectTitle": "Medien", "comparator": "!=", "filter": "*Livestream*",
                                                       "link": "and"}]}, rowLimit="10000")
    assert [column["title"] for column in result["analysisTabHead"]] == [
        "Medien", "Medienansichten", "Medienansichten vollst\u00e4ndig", "Spieldauer"]
    assert result["analysisData"] == [["podcast_audio_mdb-123", "2", "1", "720"], ["audio_mdb-456_AMP", "1", "0", "40"],
                                      ["-", "3", "1", "760"]]
