"""The cities, organisations, themes, districts and default agreement every installation has.

Loading is idempotent: rows are found by their code (or English name) and updated in place.
"""

from __future__ import annotations

from datetime import date

from portal.agreements.models import Agreement
from portal.core.enums import OrganisationKind
from portal.extensions import db
from portal.reference import lists as reference_lists
from portal.reference.models import City, District, Organisation, Theme

CITIES = [
    # code, en, sv, uk, country, time zone
    ("kyiv", "Kyiv", "Kyiv", "Київ", "UA", "Europe/Kyiv"),
    ("stockholm", "Stockholm", "Stockholm", "Стокгольм", "SE", "Europe/Stockholm"),
]

# code, en, sv, uk, OECD DAC purpose codes, critical infrastructure
THEMES = [
    (
        "water_sewage",
        "Water and sewage",
        "Vatten och avlopp",
        "Водопостачання та водовідведення",
        "14010–14050",
        True,
    ),
    ("electricity", "Electricity", "Elförsörjning", "Електропостачання", "23110, 23630", True),
    ("district_heating", "District heating", "Fjärrvärme", "Теплопостачання", "23620", True),
    (
        "it_digital",
        "IT and digitalisation",
        "IT och digitalisering",
        "ІТ та цифровізація",
        "22040",
        False,
    ),
    ("urban_planning", "Urban planning", "Stadsbyggnad", "Містобудування", "43030", False),
    ("education", "Education", "Utbildning", "Освіта", "11110–11130, 11330", False),
    ("transport", "Transport", "Transport", "Транспорт", "21010–21030", False),
    ("housing", "Housing", "Bostäder", "Житло", "16030, 16040", False),
    ("waste", "Waste", "Avfallshantering", "Поводження з відходами", "14050", False),
    (
        "health_care",
        "Health care",
        "Hälso- och sjukvård",
        "Охорона здоров’я",
        "12110, 12220",
        False,
    ),
    ("social_services", "Social services", "Socialtjänst", "Соціальні послуги", "16010", False),
    ("democracy", "Democracy", "Demokratiarbete", "Розвиток демократії", "15150, 15112", False),
]

# KATOTTH code, uk, en (Swedish uses the English transliteration)
DISTRICTS = [
    ("UA80000000000126643", "Голосіївський", "Holosiivskyi"),
    ("UA80000000000210193", "Дарницький", "Darnytskyi"),
    ("UA80000000000336424", "Деснянський", "Desnianskyi"),
    ("UA80000000000479391", "Дніпровський", "Dniprovskyi"),
    ("UA80000000000551439", "Оболонський", "Obolonskyi"),
    ("UA80000000000624772", "Печерський", "Pecherskyi"),
    ("UA80000000000719633", "Подільський", "Podilskyi"),
    ("UA80000000000875983", "Святошинський", "Sviatoshynskyi"),
    ("UA80000000000980793", "Солом’янський", "Solomianskyi"),
    ("UA80000000001078669", "Шевченківський", "Shevchenkivskyi"),
]

CA, CO = OrganisationKind.CITY_ADMINISTRATION, OrganisationKind.CITY_OWNED_COMPANY
# city, kind, en, sv, uk, themes
ORGANISATIONS = [
    (
        "stockholm",
        CA,
        "City Executive Office",
        "Stadsledningskontoret",
        "Міська виконавча канцелярія Стокгольма",
        ["democracy", "it_digital", "urban_planning"],
    ),
    (
        "stockholm",
        CA,
        "Transport Administration",
        "Trafikkontoret",
        "Транспортне управління Стокгольма",
        ["transport", "urban_planning"],
    ),
    (
        "stockholm",
        CA,
        "City Planning Administration",
        "Stadsbyggnadskontoret",
        "Управління містобудування Стокгольма",
        ["urban_planning", "housing"],
    ),
    (
        "stockholm",
        CA,
        "Education Administration",
        "Utbildningsförvaltningen",
        "Управління освіти Стокгольма",
        ["education"],
    ),
    (
        "stockholm",
        CA,
        "Service Administration",
        "Serviceförvaltningen",
        "Управління обслуговування Стокгольма",
        ["it_digital", "social_services"],
    ),
    (
        "stockholm",
        CO,
        "Stockholm Water and Waste (Stockholm Vatten och Avfall)",
        "Stockholm Vatten och Avfall",
        "Водоканал і відходи Стокгольма (Stockholm Vatten och Avfall)",
        ["water_sewage", "waste"],
    ),
    (
        "stockholm",
        CO,
        "Stokab",
        "Stokab",
        "Stokab (оптоволоконна мережа Стокгольма)",
        ["it_digital"],
    ),
    (
        "stockholm",
        CO,
        "Stockholm Exergi",
        "Stockholm Exergi",
        "Stockholm Exergi (тепло- та електропостачання Стокгольма)",
        ["district_heating", "electricity"],
    ),
    (
        "stockholm",
        CO,
        "SISAB (Stockholm school buildings)",
        "SISAB",
        "SISAB (шкільні будівлі Стокгольма)",
        ["education", "housing"],
    ),
    (
        "stockholm",
        CO,
        "Svenska Bostäder",
        "Svenska Bostäder",
        "Svenska Bostäder (муніципальне житло Стокгольма)",
        ["housing"],
    ),
    (
        "kyiv",
        CA,
        "KCSA Department of Housing and Communal Infrastructure",
        "KCSA:s avdelning för bostäder och kommunal infrastruktur",
        "Департамент житлово-комунальної інфраструктури КМДА",
        ["housing", "water_sewage", "district_heating", "waste"],
    ),
    (
        "kyiv",
        CA,
        "KCSA Department of Transport Infrastructure",
        "KCSA:s avdelning för transportinfrastruktur",
        "Департамент транспортної інфраструктури КМДА",
        ["transport"],
    ),
    (
        "kyiv",
        CA,
        "KCSA Department of Education and Science",
        "KCSA:s avdelning för utbildning och vetenskap",
        "Департамент освіти і науки КМДА",
        ["education"],
    ),
    (
        "kyiv",
        CA,
        "KCSA Department of Information and Communication Technologies",
        "KCSA:s avdelning för informations- och kommunikationsteknik",
        "Департамент інформаційно-комунікаційних технологій КМДА",
        ["it_digital"],
    ),
    (
        "kyiv",
        CA,
        "KCSA International Department",
        "KCSA:s internationella avdelning",
        "Департамент міжнародного співробітництва КМДА",
        ["democracy"],
    ),
    ("kyiv", CO, "Kyivvodokanal", "Kyivvodokanal", "Київводоканал", ["water_sewage"]),
    (
        "kyiv",
        CO,
        "Kyivteploenergo",
        "Kyivteploenergo",
        "Київтеплоенерго",
        ["district_heating", "electricity"],
    ),
]

DEFAULT_AGREEMENT = {
    "reference": "KS 2022/428",
    "title_en": "Time-limited cooperation agreement between Stockholm and Kyiv on the "
    "reconstruction of Kyiv",
    "title_sv": "Tidsbegränsat samarbetsavtal mellan Stockholm och Kyiv om Kyivs återuppbyggnad",
    "title_uk": "Угода про співпрацю на визначений строк між Стокгольмом і Києвом щодо "
    "відбудови Києва",
    "signed_on": date(2023, 6, 12),
    "valid_from": date(2023, 7, 1),
    "valid_until": date(2027, 12, 31),
}


def _upsert(model, lookup: dict, values: dict):
    obj = db.session.scalar(db.select(model).filter_by(**lookup))
    if obj is None:
        obj = model(**lookup, **values)
        db.session.add(obj)
    else:
        for key, value in values.items():
            setattr(obj, key, value)
    return obj


def load_reference() -> None:
    cities = {}
    for code, en, sv, uk, country, tz in CITIES:
        cities[code] = _upsert(
            City,
            {"code": code},
            {"name_en": en, "name_sv": sv, "name_uk": uk, "country_code": country, "timezone": tz},
        )
    themes = {}
    for position, (code, en, sv, uk, dac, critical) in enumerate(THEMES):
        themes[code] = _upsert(
            Theme,
            {"code": code},
            {
                "name_en": en,
                "name_sv": sv,
                "name_uk": uk,
                "dac_codes": dac,
                "is_critical": critical,
                "position": position,
            },
        )
    db.session.flush()
    for code, uk, en in DISTRICTS:
        _upsert(
            District,
            {"code": code},
            {"city_id": cities["kyiv"].id, "name_en": en, "name_sv": en, "name_uk": uk},
        )
    for city, kind, en, sv, uk, theme_codes in ORGANISATIONS:
        org = _upsert(
            Organisation,
            {"name_en": en},
            {"name_sv": sv, "name_uk": uk, "kind": kind, "city_id": cities[city].id},
        )
        org.themes = [themes[c] for c in theme_codes]
    agreement = db.session.scalar(
        db.select(Agreement).filter_by(reference=DEFAULT_AGREEMENT["reference"])
    )
    if agreement is None:
        has_default = db.session.scalar(db.select(Agreement.id).filter_by(is_default=True))
        agreement = Agreement(
            **DEFAULT_AGREEMENT,
            requester_city_id=cities["kyiv"].id,
            expert_city_id=cities["stockholm"].id,
            is_default=has_default is None,
        )
        agreement.themes = list(themes.values())
        db.session.add(agreement)
    db.session.commit()
    reference_lists.forget()
