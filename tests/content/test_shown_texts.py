"""A list reads each title in its reader's language in its own query (``with_text_in``): what
it shows is what the text with every version shows (``Text.render``), for every language and
every kind of version: a person's, a machine's, an empty one, none, and no original."""

from __future__ import annotations

from sqlalchemy import select

from portal.content.models import Text, TextVersion, shown_texts, with_text_in
from portal.extensions import db
from portal.needs.models import Need
from tests import factories
from tests.conftest import count_queries


def test_titles_read_for_a_language_render_as_the_whole_text(app, users):
    person, machine, empty, alone, orphan = (
        factories.make_need(users["requester"], title=title, lang="uk")
        for title in ("Ремонт мосту", "Ремонт школи", "Ремонт даху", "Ремонт ліфта", "Сирота")
    )
    person.title.set_version("en", "Bridge repair", users["requester"])
    person.title.set_version("sv", "Brorenovering", users["requester"])
    machine.title.versions.append(TextVersion(lang="en", body="School repair", is_machine=True))
    empty.title.set_version("sv", "", users["requester"])
    db.session.flush()
    # A text whose original version is gone (none is made so): it is read whole.
    db.session.execute(
        TextVersion.__table__.delete().where(
            TextVersion.text_id == orphan.title_id, TextVersion.lang == "uk"
        )
    )
    db.session.add(TextVersion(text_id=orphan.title_id, lang="sv", body="Föräldralös"))
    db.session.commit()
    needs = [person, machine, empty, alone, orphan]
    ids = [n.id for n in needs]
    rendered = {}
    for lang in ("en", "sv", "uk"):
        stmt = with_text_in(
            select(Need.id, Need.title_id).where(Need.id.in_(ids)).order_by(Need.id),
            Need.title_id,
            lang,
        )
        with count_queries(app) as statements:
            rows = db.session.execute(stmt).all()
            shown = shown_texts(rows, [row.title_id for row in rows], lang)
        assert len(statements) == 2  # the list's own, and the orphan read whole
        db.session.expire_all()
        title_ids = [row.title_id for row in rows]
        whole = {t.id: t for t in db.session.scalars(select(Text).where(Text.id.in_(title_ids)))}
        for row, text in zip(rows, shown, strict=True):
            assert text.render(lang) == whole[row.title_id].render(lang), (lang, row.id)
        rendered[lang] = {row.id: text.render(lang) for row, text in zip(rows, shown, strict=True)}
    en, sv = rendered["en"], rendered["sv"]
    assert (en[person.id].body, en[person.id].is_fallback) == ("Bridge repair", False)
    assert en[machine.id].is_machine and en[machine.id].body == "School repair"
    assert (en[alone.id].body, en[alone.id].is_fallback) == ("Ремонт ліфта", True)
    assert (sv[empty.id].body, sv[empty.id].is_fallback) == ("Ремонт даху", True)
    assert (sv[orphan.id].body, sv[orphan.id].is_fallback) == ("Föräldralös", False)
