"""The score of a need–offer pair and the reasons given for it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.core.enums import HelpKind
from portal.extensions import db
from portal.matching import suggestions
from portal.matching.scoring import PARTIAL_PERIOD_POINTS, WEIGHTS, Reason, period_fit, score
from portal.matching.terms import shared_terms, stem

from .conftest import TODAY


def texts(scored) -> list[str]:
    return [r.text for r in scored.reasons]


def codes(scored) -> list[str]:
    return [r.code for r in scored.reasons]


def in_language(app, lang: str):
    """A request in ``lang``; its own app context, since the locale is cached on ``g``."""
    return _Both(app.app_context(), app.test_request_context(f"/?lang={lang}"))


class _Both:
    def __init__(self, *contexts):
        self.contexts = contexts

    def __enter__(self):
        for c in self.contexts:
            c.__enter__()

    def __exit__(self, *exc):
        for c in reversed(self.contexts):
            c.__exit__(*exc)


@pytest.fixture
def en(app):
    with in_language(app, "en"):
        yield


def test_weights_add_up_to_100():
    assert sum(WEIGHTS.values()) == 100
    assert max(WEIGHTS, key=WEIGHTS.get) == "theme"


def test_a_perfect_pair_scores_100_with_every_reason_in_words(en, make_need, make_offer):
    need = make_need(
        "Leak detection in the water network",
        "Training in acoustic leak detection for pipes.",
        wanted_from=TODAY + timedelta(days=30),
        wanted_until=TODAY + timedelta(days=90),
        person_days=30,
    )
    offer = make_offer(
        "Acoustic leak detection",
        "We train engineers to find leaks in water pipes and networks.",
        available_from=TODAY,
        available_until=TODAY + timedelta(days=200),
        capacity_days=40,
    )
    scored = score(need, offer, TODAY)
    assert scored.score == 100
    words = texts(scored)
    assert words[:4] == [
        "Same theme: Water and sewage",
        "Same kind of help: Training",
        "Available in the wanted period",
        "Enough capacity: 40 left, 30 person-days needed",
    ]
    assert words[4].startswith("Shared terms: leak, detection, water, network")


def test_same_theme_beats_a_different_theme(en, make_need, make_offer):
    need = make_need()
    same = make_offer(theme_codes=("water_sewage",))
    other = make_offer(theme_codes=("it_digital",))
    a, b = score(need, same, TODAY), score(need, other, TODAY)
    assert a.score - b.score == WEIGHTS["theme"]
    assert "theme" in codes(a)
    assert "theme" not in codes(b)


def test_an_offer_with_one_of_several_themes_counts_as_same_theme(make_need, make_offer):
    need = make_need(theme="district_heating")
    offer = make_offer(theme_codes=("electricity", "district_heating"))
    assert "theme" in codes(score(need, offer, TODAY))


def test_same_kind_of_help(en, make_need, make_offer):
    need = make_need(help_kind=HelpKind.STUDY_VISIT)
    same = make_offer(help_kind=HelpKind.STUDY_VISIT)
    other = make_offer(help_kind=HelpKind.ADVICE)
    a, b = score(need, same, TODAY), score(need, other, TODAY)
    assert a.score - b.score == WEIGHTS["help_kind"]
    assert "Same kind of help: Study visit" in texts(a)
    assert "help_kind" not in codes(b)


@pytest.mark.parametrize(
    ("wanted", "available", "expected"),
    [
        # days from today: (wanted from, wanted until), (available from, available until)
        ((10, 40), (0, 100), "full"),
        ((10, 40), (20, 100), "partial"),
        ((10, 40), (0, 20), "partial"),
        ((10, 40), (50, 100), None),
        ((10, 40), (-100, 5), None),
        ((None, None), (0, 100), "full"),  # a need without dates takes any time
        ((None, 40), (0, 20), "partial"),
        ((10, None), (0, 100), "full"),
        ((-30, 40), (0, 100), "full"),  # the past part of the wanted period does not count
        ((-30, -10), (-60, 100), None),  # the wanted period is over
        ((10, 40), (-60, -1), None),  # the offer is no longer available
    ],
)
def test_period_fit(wanted, available, expected):
    def day(n):
        return None if n is None else TODAY + timedelta(days=n)

    assert period_fit(
        day(wanted[0]), day(wanted[1]), day(available[0]), day(available[1]), TODAY
    ) == (expected)


def test_period_points_and_words(en, make_need, make_offer):
    need = make_need(
        wanted_from=TODAY + timedelta(days=10), wanted_until=TODAY + timedelta(days=40)
    )
    full = make_offer(available_from=TODAY, available_until=TODAY + timedelta(days=100))
    part = make_offer(
        available_from=TODAY + timedelta(days=20), available_until=TODAY + timedelta(days=100)
    )
    none = make_offer(
        available_from=TODAY + timedelta(days=50), available_until=TODAY + timedelta(days=100)
    )
    a, b, c = (score(need, o, TODAY) for o in (full, part, none))
    assert "Available in the wanted period" in texts(a)
    assert "Available for part of the wanted period" in texts(b)
    assert not {"period_full", "period_partial"} & set(codes(c))
    assert a.score - c.score == WEIGHTS["period"]
    assert b.score - c.score == PARTIAL_PERIOD_POINTS


def test_the_day_of_scoring_matters(make_need, make_offer):
    need = make_need(wanted_from=None, wanted_until=None)
    offer = make_offer(available_from=TODAY, available_until=TODAY + timedelta(days=30))
    assert "period_full" in codes(score(need, offer, TODAY))
    assert "period_full" not in codes(score(need, offer, TODAY + timedelta(days=31)))


def test_capacity(en, make_need, make_offer):
    need = make_need(person_days=30)
    enough = make_offer(capacity_days=50, committed_days=10)
    some = make_offer(capacity_days=20, committed_days=10)
    nothing = make_offer(capacity_days=20, committed_days=20)
    a, b, c = (score(need, o, TODAY) for o in (enough, some, nothing))
    assert "Enough capacity: 40 left, 30 person-days needed" in texts(a)
    assert "Part of the capacity: 10 left, 30 person-days needed" in texts(b)
    assert not any(code.startswith("capacity") for code in codes(c))
    assert a.score - c.score == WEIGHTS["capacity"]
    assert b.score - c.score == WEIGHTS["capacity"] * 10 // 30


def test_capacity_when_the_need_names_no_person_days(en, make_need, make_offer):
    need = make_need(person_days=None)
    offer = make_offer(capacity_days=1)
    assert "Capacity left: 1 person-day" in texts(score(need, offer, TODAY))


def test_shared_terms_meet_across_word_forms(en, make_need, make_offer):
    need = make_need("Leaks in pipes", "Detection of leaks.", help_kind=HelpKind.ADVICE)
    offer = make_offer("Leak detection", "Detecting a leak in a pipe.", help_kind=HelpKind.TRAINING)
    scored = score(need, offer, TODAY)
    assert "Shared terms: leaks, pipes, and detection" in texts(scored) or (
        "Shared terms: leaks, pipes and detection" in texts(scored)
    )


def test_stop_words_and_short_words_are_not_terms(make_need, make_offer):
    need = make_need("The city and the help", "With support for this work.")
    offer = make_offer("The city and the help", "With support for this work.")
    assert "terms" not in codes(score(need, offer, TODAY))


def test_ukrainian_word_forms_meet(make_need, make_offer):
    need = make_need("Виявлення витоків у водопровідній мережі", "Навчання інженерів.", lang="uk")
    offer = make_offer("Витоки води", "Виявленню витоки в мережі.", lang="uk")
    terms = next(r for r in score(need, offer, TODAY).reasons if r.code == "terms")
    assert terms.params[0].split(",") == ["виявлення", "витоків", "мережі"]


def test_terms_are_shared_across_languages_only_when_a_translation_exists(make_need, make_offer):
    offer = make_offer(
        "Leak detection",
        "Acoustic leak detection in water networks.",
        lang="en",
        title_translations={"uk": "Виявлення витоків"},
    )
    uk_only = make_need("Виявлення витоків", "Мережа водопостачання.", lang="uk")
    translated = make_need(
        "Виявлення витоків",
        "Мережа водопостачання.",
        lang="uk",
        title_translations={"en": "Leak detection"},
        description_translations={"en": "The water supply network."},
    )
    only_title = next(r for r in score(uk_only, offer, TODAY).reasons if r.code == "terms")
    assert only_title.params[0] == "виявлення,витоків"
    scored = score(translated, offer, TODAY)
    terms = next(r for r in scored.reasons if r.code == "terms")
    # Compared within one language (the concept written in two languages counts once) and named
    # in the need's original language, unless the reader's language is asked for; the score is
    # that of the language sharing most, whoever reads it.
    assert terms.params[0].split(",") == ["виявлення", "витоків"]
    assert scored.score == score(translated, offer, TODAY, lang="en").score
    english = next(
        r for r in score(translated, offer, TODAY, lang="en").reasons if r.code == "terms"
    )
    assert english.params[0].split(",")[:3] == ["leak", "detection", "water"]
    assert scored.score > score(uk_only, offer, TODAY).score


def test_swedish_word_forms_meet():
    assert stem("läckor") == stem("läcka")
    assert shared_terms(["Läckor i ledningar"], ["ledning med läcka"]) == [
        "läckor",
        "ledningar",
    ]


def test_stem_rules():
    assert stem("leak") == stem("leaks") == "leak"
    assert stem("detection") == stem("detecting") == stem("detect")
    assert stem("витоків") == stem("витоки")
    assert stem("the") is None  # short
    assert stem("which") is None  # stop word
    assert stem("також") is None
    assert stem("också") is None


def test_reasons_round_trip_as_codes():
    reasons = [
        Reason("theme", ("3",)),
        Reason("help_kind", ("training",)),
        Reason("period_full"),
        Reason("capacity", ("40", "30")),
        Reason("terms", ("leak,detection",)),
    ]
    assert [Reason.decode(r.encode()) for r in reasons] == reasons
    assert Reason("capacity", ("40", "30")).encode() == "capacity:40:30"


def test_reasons_in_other_languages_and_junk_codes_do_not_break(app, themes):
    water = themes["water_sewage"]
    with in_language(app, "sv"):
        assert "Vatten och avlopp" in Reason("theme", (str(water.id),)).text
    with in_language(app, "uk"):
        assert "Водопостачання та водовідведення" in Reason("theme", (str(water.id),)).text
    with in_language(app, "en"):
        assert Reason.decode("capacity:x").text == "capacity"
        assert Reason.decode("help_kind:nonsense").text == "help_kind"
        assert Reason.decode("whatever").text == "whatever"


def test_score_stays_within_bounds(make_need, make_offer):
    need = make_need("Ab", "Cd", help_kind=HelpKind.ADVICE, person_days=10)
    offer = make_offer(
        "Ef",
        "Gh",
        theme_codes=("education",),
        capacity_days=5,
        committed_days=5,
        available_from=TODAY - timedelta(days=10),
        available_until=TODAY - timedelta(days=1),
    )
    scored = score(need, offer, TODAY)
    assert scored.score == 0
    assert scored.reasons == []


def test_fast_path_gives_the_same_score_as_score(make_need, make_offer, users):
    need = make_need(
        "Виявлення витоків",
        "Мережа водопостачання.",
        lang="uk",
        title_translations={"en": "Leak detection"},
        wanted_from=TODAY + timedelta(days=10),
        wanted_until=TODAY + timedelta(days=60),
        person_days=25,
    )
    offers = [
        make_offer(capacity_days=10),
        make_offer("Water pipes", "Network planning", help_kind=HelpKind.ADVICE),
        make_offer(
            theme_codes=("it_digital",),
            available_from=TODAY + timedelta(days=30),
            description_translations={"sv": "Läckor i ledningar"},
        ),
    ]
    suggested = suggestions.suggest_offers(users["coordinator"], need, today=TODAY)
    # The third shares neither the theme nor two terms in one language: not suggested.
    assert {s.offer.id for s in suggested} == {o.id for o in offers[:2]}
    for s in suggested:
        direct = score(need, s.offer, TODAY)
        assert (s.score, s.reasons) == (direct.score, direct.reasons)
    for s in suggestions.suggest_needs(users["coordinator"], offers[0], today=TODAY):
        direct = score(s.need, offers[0], TODAY)
        assert (s.score, s.reasons) == (direct.score, direct.reasons)


def test_general_words_of_any_language_are_never_terms():
    """«понад», "och", "the" and the portal's own vocabulary (planning, training, a study visit)
    say nothing about what a need is about."""
    for word in ("понад", "och", "the", "planning", "planerad", "планування", "utbildning"):
        assert stem(word) is None, word
    for word in ("water", "leak", "витоків", "läckor", "wells", "boiler"):
        assert stem(word) is not None, word
    assert shared_terms(["Понад 30 років досвіду навчання"], ["Навчання понад 10 років"]) == []


def test_reasons_are_described_in_each_readers_language_also_when_kept(app, themes):
    """Reasons but the theme are kept described per language: a reader of one language never
    gets the words kept for another, and a theme renamed is named anew."""
    reasons = [
        "help_kind:training",
        "period_full",
        "period_partial",
        "capacity:40:1",
        "capacity:40:30",
        "capacity_partial:5:30",
        "capacity_left:1",
        "terms:leak,detection,pipe",
    ]
    seen: dict[str, list[str]] = {}
    for _ in range(2):  # the second round reads what the first kept
        for lang in ("en", "sv", "uk", "sv", "en"):
            with in_language(app, lang):
                described = [Reason.decode(code).text for code in reasons]
            assert seen.setdefault(lang, described) == described, lang
    assert seen["en"][3] == "Enough capacity: 40 left, 1 person-day needed"
    assert seen["en"][7] == "Shared terms: leak, detection, and pipe"
    assert seen["sv"][7] == "Gemensamma nyckelord: leak, detection och pipe"
    assert len({tuple(words) for words in seen.values()}) == 3
    water = themes["water_sewage"]
    with in_language(app, "en"):
        assert Reason("theme", (str(water.id),)).text == "Same theme: Water and sewage"
    water.name_en = "Water supply"
    db.session.commit()
    with in_language(app, "en"):
        assert Reason("theme", (str(water.id),)).text == "Same theme: Water supply"
