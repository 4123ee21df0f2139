"""Phrase banks for bulk data, in Ukrainian, Swedish and English side by side.

Every entry is a ``P(uk, sv, en, n)``: the same phrase in the three content languages, so that a
record's other-language versions are real translations of its original. ``{n}`` takes one of the
numbers in ``n`` (the same number in every language); the numbers are chosen so that the
Ukrainian noun after them keeps one grammatical form (multiples of five or ten, or 2–4 where the
phrase says so). Topics, facilities and outcomes are lower-case noun phrases that frames insert.
"""

from __future__ import annotations

from typing import NamedTuple


class P(NamedTuple):
    uk: str
    sv: str
    en: str
    n: tuple[int, ...] = ()


def _tens(low: int, high: int, step: int = 10) -> tuple[int, ...]:
    return tuple(range(low, high + 1, step))


HELP = {
    "advice": P("консультація", "rådgivning", "advice"),
    "training": P("навчання персоналу", "utbildning av personal", "staff training"),
    "study_visit": P(
        "навчальний візит до Стокгольма", "studiebesök i Stockholm", "a study visit to Stockholm"
    ),
    "secondment": P(
        "відрядження експерта", "utstationering av en expert", "secondment of an expert"
    ),
    "joint_planning": P("спільне планування", "gemensam planering", "joint planning"),
    "equipment_specification": P(
        "технічна специфікація обладнання",
        "kravspecifikation för utrustning",
        "an equipment specification",
    ),
}

# Per theme code: topics, facilities, problems (sentences), outcomes, experience and methods
# (sentences an expert organisation writes about itself).
THEMES: dict[str, dict[str, list[P]]] = {
    "water_sewage": {
        "topics": [
            P(
                "виявлення витоків у водопровідній мережі",
                "läcksökning i vattenledningsnätet",
                "leak detection in the water network",
            ),
            P(
                "модернізація насосних станцій",
                "modernisering av pumpstationer",
                "modernisation of pumping stations",
            ),
            P("очищення стічних вод", "rening av avloppsvatten", "wastewater treatment"),
            P(
                "контроль якості питної води",
                "kontroll av dricksvattnets kvalitet",
                "drinking water quality control",
            ),
            P(
                "резервне водопостачання лікарень",
                "reservvatten till sjukhus",
                "backup water supply for hospitals",
            ),
            P(
                "цифрова модель водопровідної мережі",
                "digital modell av ledningsnätet",
                "digital model of the water network",
            ),
        ],
        "facilities": [
            P("магістральний водогін", "huvudvattenledning", "trunk water main"),
            P(
                "насосна станція другого підйому",
                "tryckstegringsstation",
                "booster pumping station",
            ),
            P("Бортницька станція аерації", "Bortnytjis reningsverk", "Bortnychi aeration station"),
            P("артезіанські свердловини", "artesiska brunnar", "artesian wells"),
        ],
        "problems": [
            P(
                "Втрати води в мережі становлять близько {n}%.",
                "Vattenförlusterna i nätet är omkring {n} %.",
                "Water losses in the network are about {n}%.",
                _tens(15, 45, 5),
            ),
            P(
                "Частину труб прокладено понад {n} років тому.",
                "En del av ledningarna lades för mer än {n} år sedan.",
                "Some of the pipes were laid more than {n} years ago.",
                _tens(40, 70),
            ),
            P(
                "Під час відключень електроенергії насоси зупиняються без резервного живлення.",
                "Vid strömavbrott stannar pumparna eftersom reservkraft saknas.",
                "During power cuts the pumps stop because there is no backup power.",
            ),
            P(
                "Лабораторія не має сучасного обладнання для мікробіологічних аналізів.",
                "Laboratoriet saknar modern utrustning för mikrobiologiska analyser.",
                "The laboratory lacks modern equipment for microbiological analysis.",
            ),
            P(
                "Аварійні бригади знаходять пориви лише тоді, коли вода виходить на поверхню.",
                "Reparationslagen hittar läckor först när vattnet når markytan.",
                "Repair crews only find bursts once water reaches the surface.",
            ),
        ],
        "outcomes": [
            P("скорочення втрат води", "minskade vattenförluster", "reduced water losses"),
            P(
                "план заміни аварійних ділянок",
                "en plan för att byta ut de sämsta ledningarna",
                "a plan for replacing the worst sections",
            ),
            P(
                "стабільне водопостачання під час відключень",
                "stabil vattenförsörjning under strömavbrott",
                "stable water supply during power cuts",
            ),
        ],
        "experience": [
            P(
                "Ми щороку відновлюємо близько {n} км водопровідних мереж.",
                "Vi förnyar cirka {n} km vattenledningar varje år.",
                "We renew about {n} km of water mains every year.",
                _tens(10, 40, 5),
            ),
            P(
                "Наші лабораторії щороку виконують понад {n} тисяч аналізів води.",
                "Våra laboratorier gör mer än {n} tusen vattenanalyser per år.",
                "Our laboratories run more than {n} thousand water analyses a year.",
                _tens(20, 90),
            ),
        ],
        "methods": [
            P(
                "Ми використовуємо акустичні датчики та кореляційний пошук витоків.",
                "Vi använder akustiska sensorer och korrelationsmätning för läcksökning.",
                "We use acoustic sensors and correlation measurement to find leaks.",
            ),
            P(
                "Мережу поділено на зони обліку з постійним вимірюванням витрат.",
                "Nätet är indelat i mätzoner med kontinuerlig flödesmätning.",
                "The network is divided into metered zones with continuous flow measurement.",
            ),
            P(
                "Ми маємо досвід реконструкції очисних споруд без зупинки їхньої роботи.",
                "Vi har erfarenhet av att bygga om reningsverk under drift.",
                "We have rebuilt treatment plants while they kept running.",
            ),
        ],
    },
    "electricity": {
        "topics": [
            P(
                "відновлення трансформаторних підстанцій",
                "återuppbyggnad av transformatorstationer",
                "rebuilding transformer substations",
            ),
            P(
                "резервне живлення критичних об’єктів",
                "reservkraft för samhällsviktiga verksamheter",
                "backup power for critical facilities",
            ),
            P(
                "захист підстанцій від ударів",
                "skydd av ställverk mot angrepp",
                "protection of substations against attacks",
            ),
            P(
                "диспетчеризація розподільчої мережі",
                "driftövervakning av distributionsnätet",
                "supervisory control of the distribution grid",
            ),
            P(
                "сонячні станції на дахах шкіл",
                "solceller på skoltak",
                "solar panels on school roofs",
            ),
        ],
        "facilities": [
            P("підстанція 110/10 кВ", "ställverk 110/10 kV", "110/10 kV substation"),
            P("кабельна мережа 10 кВ", "kabelnät för 10 kV", "10 kV cable network"),
            P("диспетчерський центр", "driftcentral", "control centre"),
        ],
        "problems": [
            P(
                "Графіки відключень тривають до {n} годин на добу.",
                "Planerade avbrott pågår upp till {n} timmar per dygn.",
                "Scheduled outages last up to {n} hours a day.",
                (4, 6, 8, 10, 12, 16),
            ),
            P(
                "Значна частина трансформаторів пошкоджена і потребує заміни.",
                "En stor del av transformatorerna är skadade och behöver bytas.",
                "Many of the transformers are damaged and need replacing.",
            ),
            P(
                "Лікарні та школи залежать від дизельних генераторів.",
                "Sjukhus och skolor är beroende av dieselaggregat.",
                "Hospitals and schools depend on diesel generators.",
            ),
            P(
                "Диспетчери не бачать стану мережі в реальному часі.",
                "Driftpersonalen ser inte nätets tillstånd i realtid.",
                "Operators cannot see the state of the grid in real time.",
            ),
        ],
        "outcomes": [
            P(
                "швидше відновлення живлення після аварій",
                "snabbare återställning av strömmen efter fel",
                "faster restoration of power after faults",
            ),
            P(
                "перелік обладнання для закупівлі",
                "en lista över utrustning att upphandla",
                "a list of equipment to procure",
            ),
            P(
                "план резервного живлення для {n} об’єктів",
                "en reservkraftsplan för {n} anläggningar",
                "a backup power plan for {n} facilities",
                _tens(5, 40, 5),
            ),
        ],
        "experience": [
            P(
                "Ми експлуатуємо понад {n} підстанцій у Стокгольмі.",
                "Vi driver mer än {n} nätstationer i Stockholm.",
                "We operate more than {n} substations in Stockholm.",
                _tens(200, 900, 100),
            ),
            P(
                "Наші фахівці планували резервне живлення для лікарень регіону.",
                "Våra specialister har planerat reservkraft för regionens sjukhus.",
                "Our specialists have planned backup power for the region's hospitals.",
            ),
        ],
        "methods": [
            P(
                "Ми застосовуємо автоматичне секціонування для локалізації пошкоджень.",
                "Vi använder automatisk sektionering för att isolera fel.",
                "We use automatic sectioning to isolate faults.",
            ),
            P(
                "Ми навчаємо персонал безпечних перемикань під навантаженням.",
                "Vi utbildar personal i säkra kopplingar under last.",
                "We train staff in safe switching under load.",
            ),
        ],
    },
    "district_heating": {
        "topics": [
            P(
                "модернізація котелень",
                "modernisering av värmecentraler",
                "modernisation of boiler houses",
            ),
            P(
                "теплоізоляція тепломереж",
                "isolering av fjärrvärmeledningar",
                "insulation of heating pipes",
            ),
            P(
                "індивідуальні теплові пункти",
                "undercentraler i flerbostadshus",
                "building heat substations",
            ),
            P(
                "когенерація та резервні джерела тепла",
                "kraftvärme och reservvärmekällor",
                "cogeneration and backup heat sources",
            ),
            P(
                "облік тепла в багатоквартирних будинках",
                "värmemätning i flerbostadshus",
                "heat metering in apartment buildings",
            ),
        ],
        "facilities": [
            P("районна котельня", "värmecentral", "district boiler house"),
            P("ТЕЦ-5", "kraftvärmeverk 5", "combined heat and power plant 5"),
            P("магістральна тепломережа", "stamledning för fjärrvärme", "trunk heating main"),
        ],
        "problems": [
            P(
                "Тепловтрати в мережах сягають {n}%.",
                "Värmeförlusterna i nätet når {n} %.",
                "Heat losses in the network reach {n}%.",
                _tens(15, 35, 5),
            ),
            P(
                "Опалювальний сезон наближається, а ремонт ще не завершено.",
                "Eldningssäsongen närmar sig men reparationerna är inte klara.",
                "The heating season is near, but repairs are not finished.",
            ),
            P(
                "Після обстрілів частина котелень працює на тимчасовому обладнанні.",
                "Efter beskjutning drivs vissa värmecentraler med provisorisk utrustning.",
                "After shelling some boiler houses run on temporary equipment.",
            ),
            P(
                "У будинках немає автоматичного регулювання температури.",
                "Husen saknar automatisk temperaturreglering.",
                "The buildings have no automatic temperature control.",
            ),
        ],
        "outcomes": [
            P(
                "надійне теплопостачання взимку",
                "tillförlitlig värmeförsörjning under vintern",
                "reliable heating in winter",
            ),
            P("менші тепловтрати", "lägre värmeförluster", "lower heat losses"),
            P(
                "технічне завдання на децентралізовані джерела тепла",
                "en kravspecifikation för lokala värmekällor",
                "a specification for local heat sources",
            ),
        ],
        "experience": [
            P(
                "Наша тепломережа має довжину понад {n} км.",
                "Vårt fjärrvärmenät är mer än {n} km långt.",
                "Our district heating network is more than {n} km long.",
                _tens(2000, 3000, 100),
            ),
            P(
                "Ми перевели виробництво тепла з вугілля на біопаливо.",
                "Vi har ställt om värmeproduktionen från kol till biobränsle.",
                "We have converted heat production from coal to biofuel.",
            ),
        ],
        "methods": [
            P(
                "Ми шукаємо витоки за допомогою тепловізорів на дронах.",
                "Vi använder värmekameror på drönare för att hitta läckor.",
                "We use thermal cameras on drones to find leaks.",
            ),
            P(
                "Ми регулюємо температуру подачі за прогнозом погоди.",
                "Vi styr framledningstemperaturen efter väderprognosen.",
                "We adjust the supply temperature to the weather forecast.",
            ),
        ],
    },
    "it_digital": {
        "topics": [
            P(
                "захист міських інформаційних систем",
                "skydd av stadens informationssystem",
                "protection of the city's information systems",
            ),
            P(
                "електронні послуги для мешканців",
                "e-tjänster för invånare",
                "e-services for residents",
            ),
            P("резервні центри обробки даних", "reservdatacenter", "backup data centres"),
            P("відкриті дані міста", "öppna data från staden", "open city data"),
            P(
                "оптоволоконна мережа для шкіл",
                "fiberanslutning av skolor",
                "fibre network for schools",
            ),
        ],
        "facilities": [
            P("міський центр обробки даних", "stadens datacenter", "city data centre"),
            P("портал електронних послуг", "e-tjänsteportal", "e-services portal"),
            P("мережа передачі даних КМДА", "KCSA:s datanät", "KCSA data network"),
        ],
        "problems": [
            P(
                "Кількість кібератак зросла у {n} рази.",
                "Antalet cyberangrepp har ökat {n} gånger.",
                "The number of cyber attacks has grown {n}-fold.",
                (2, 3, 4),
            ),
            P(
                "Резервні копії зберігаються в тому самому приміщенні, що й сервери.",
                "Säkerhetskopiorna förvaras i samma lokal som servrarna.",
                "Backups are kept in the same room as the servers.",
            ),
            P(
                "Мешканці досі подають багато заяв у паперовій формі.",
                "Invånarna lämnar fortfarande in många ansökningar på papper.",
                "Residents still submit many applications on paper.",
            ),
            P(
                "Системи різних департаментів не обмінюються даними.",
                "Förvaltningarnas system utbyter inte data med varandra.",
                "The departments' systems do not exchange data.",
            ),
        ],
        "outcomes": [
            P(
                "план безперервності ІТ-послуг",
                "en kontinuitetsplan för IT-tjänster",
                "an IT continuity plan",
            ),
            P(
                "{n} нових електронних послуг",
                "{n} nya e-tjänster",
                "{n} new e-services",
                _tens(5, 20, 5),
            ),
            P(
                "навчений персонал з кібербезпеки",
                "utbildad personal inom cybersäkerhet",
                "staff trained in cyber security",
            ),
        ],
        "experience": [
            P(
                "Наша мережа з’єднує понад {n} міських об’єктів.",
                "Vårt nät förbinder mer än {n} kommunala verksamheter.",
                "Our network connects more than {n} municipal sites.",
                _tens(1000, 3000, 500),
            ),
            P(
                "Ми запровадили єдиний вхід для всіх електронних послуг міста.",
                "Vi har infört en gemensam inloggning för stadens alla e-tjänster.",
                "We introduced single sign-on for all of the city's e-services.",
            ),
        ],
        "methods": [
            P(
                "Ми проводимо навчання з реагування на інциденти.",
                "Vi genomför övningar i incidenthantering.",
                "We run incident response exercises.",
            ),
            P(
                "Ми розробляємо послуги разом із користувачами.",
                "Vi utvecklar tjänsterna tillsammans med användarna.",
                "We design services together with their users.",
            ),
        ],
    },
    "urban_planning": {
        "topics": [
            P(
                "генеральний план відбудови району",
                "översiktsplan för stadsdelens återuppbyggnad",
                "master plan for rebuilding the district",
            ),
            P(
                "безбар’єрний громадський простір",
                "tillgängliga offentliga miljöer",
                "barrier-free public space",
            ),
            P("цифровий двійник міста", "digital tvilling av staden", "digital twin of the city"),
            P(
                "залучення мешканців до планування",
                "medborgardialog i planeringen",
                "involving residents in planning",
            ),
            P(
                "відновлення зруйнованих кварталів",
                "återuppbyggnad av förstörda kvarter",
                "rebuilding destroyed blocks",
            ),
        ],
        "facilities": [
            P(
                "квартал забудови 1960-х років",
                "bostadskvarter från 1960-talet",
                "1960s housing block",
            ),
            P("прибережна зона Дніпра", "Dnipros strandområde", "Dnipro riverside"),
            P("промислова зона", "industriområde", "industrial area"),
        ],
        "problems": [
            P(
                "Понад {n} будівель у районі пошкоджено.",
                "Mer än {n} byggnader i stadsdelen är skadade.",
                "More than {n} buildings in the district are damaged.",
                _tens(20, 300),
            ),
            P(
                "Чинні плани не враховують укриттів і безпеки.",
                "Gällande planer tar inte hänsyn till skyddsrum och säkerhet.",
                "Current plans do not take shelters and security into account.",
            ),
            P(
                "Немає єдиної бази даних про стан будівель.",
                "Det finns ingen samlad databas över byggnadernas skick.",
                "There is no single database of building conditions.",
            ),
            P(
                "Мешканці хочуть брати участь у рішеннях про відбудову.",
                "Invånarna vill vara med och besluta om återuppbyggnaden.",
                "Residents want a say in decisions about rebuilding.",
            ),
        ],
        "outcomes": [
            P(
                "концепція відбудови, погоджена з мешканцями",
                "ett förslag till återuppbyggnad som förankrats hos invånarna",
                "a rebuilding concept agreed with residents",
            ),
            P(
                "методика оцінки пошкоджень",
                "en metod för skadebedömning",
                "a method for assessing damage",
            ),
            P(
                "тривимірна модель району",
                "en 3D-modell av stadsdelen",
                "a 3D model of the district",
            ),
        ],
        "experience": [
            P(
                "Ми розробили плани для понад {n} нових житлових районів.",
                "Vi har tagit fram planer för mer än {n} nya bostadsområden.",
                "We have drawn up plans for more than {n} new residential areas.",
                _tens(10, 60),
            ),
            P(
                "Ми ведемо цифровий двійник Стокгольма з {n} року.",
                "Vi har förvaltat en digital tvilling av Stockholm sedan {n}.",
                "We have maintained a digital twin of Stockholm since {n}.",
                tuple(range(2015, 2022)),
            ),
        ],
        "methods": [
            P(
                "Ми проводимо діалоги з мешканцями на ранній стадії планування.",
                "Vi för dialog med invånarna tidigt i planeringen.",
                "We hold dialogues with residents early in planning.",
            ),
            P(
                "Ми поєднуємо геодані та моделі будівель на одній платформі.",
                "Vi samlar geodata och byggnadsmodeller i en plattform.",
                "We combine geodata and building models in one platform.",
            ),
        ],
    },
    "education": {
        "topics": [
            P("укриття в закладах освіти", "skyddsrum i skolor", "shelters in schools"),
            P(
                "психологічна підтримка учнів",
                "psykosocialt stöd till elever",
                "psychological support for pupils",
            ),
            P(
                "змішане та дистанційне навчання",
                "fjärrundervisning och blandad undervisning",
                "remote and blended learning",
            ),
            P("інклюзивна освіта", "inkluderande utbildning", "inclusive education"),
            P(
                "відновлення шкільних будівель",
                "återuppbyggnad av skolbyggnader",
                "rebuilding school buildings",
            ),
        ],
        "facilities": [
            P("ліцей №{n}", "lyceum nr {n}", "lyceum No. {n}", tuple(range(1, 320, 7))),
            P(
                "дитячий садок №{n}",
                "förskola nr {n}",
                "kindergarten No. {n}",
                tuple(range(1, 800, 13)),
            ),
            P("гімназія №{n}", "gymnasium nr {n}", "gymnasium No. {n}", tuple(range(1, 300, 11))),
        ],
        "problems": [
            P(
                "Укриття вміщує лише {n}% учнів.",
                "Skyddsrummet rymmer bara {n} % av eleverna.",
                "The shelter holds only {n}% of the pupils.",
                _tens(20, 70, 5),
            ),
            P(
                "Заняття часто переривають повітряні тривоги.",
                "Lektionerna avbryts ofta av flyglarm.",
                "Lessons are often interrupted by air raid alerts.",
            ),
            P(
                "Багато дітей мають ознаки травматичного стресу.",
                "Många barn visar tecken på traumatisk stress.",
                "Many children show signs of traumatic stress.",
            ),
            P(
                "Вчителям бракує навичок роботи з цифровими інструментами.",
                "Lärarna saknar vana vid digitala verktyg.",
                "Teachers lack experience with digital tools.",
            ),
        ],
        "outcomes": [
            P(
                "безпечне навчання в класах",
                "trygg undervisning i klassrummen",
                "safe teaching in classrooms",
            ),
            P(
                "програма підвищення кваліфікації вчителів",
                "ett fortbildningsprogram för lärare",
                "a training programme for teachers",
            ),
            P(
                "проєкт сучасної шкільної будівлі",
                "ett förslag till modern skolbyggnad",
                "a design for a modern school building",
            ),
        ],
        "experience": [
            P(
                "У нашому управлінні понад {n} шкільних будівель.",
                "Vi förvaltar mer än {n} skolbyggnader.",
                "We manage more than {n} school buildings.",
                _tens(300, 600, 50),
            ),
            P(
                "Учні наших шкіл представляють понад {n} мовних груп.",
                "Eleverna i våra skolor talar mer än {n} olika språk.",
                "Pupils in our schools speak more than {n} languages.",
                _tens(50, 150),
            ),
        ],
        "methods": [
            P(
                "У кожній школі працює команда з питань здоров’я учнів.",
                "Varje skola har ett elevhälsoteam.",
                "Every school has a pupil health team.",
            ),
            P(
                "Ми проєктуємо школи разом із вчителями та учнями.",
                "Vi utformar skolor tillsammans med lärare och elever.",
                "We design schools together with teachers and pupils.",
            ),
        ],
    },
    "transport": {
        "topics": [
            P(
                "пріоритет громадського транспорту на перехрестях",
                "signalprioritering för kollektivtrafik",
                "priority for public transport at junctions",
            ),
            P("електронний квиток", "elektroniska biljetter", "electronic ticketing"),
            P("безпечні велосипедні маршрути", "säkra cykelstråk", "safe cycle routes"),
            P(
                "оновлення тролейбусного парку",
                "förnyelse av trolleybussflottan",
                "renewal of the trolleybus fleet",
            ),
            P("відновлення мостів", "återuppbyggnad av broar", "rebuilding bridges"),
        ],
        "facilities": [
            P(
                "тролейбусне депо №{n}",
                "trolleybussdepå nr {n}",
                "trolleybus depot No. {n}",
                (1, 2, 3, 4, 5),
            ),
            P("транспортна розв’язка", "trafikplats", "road interchange"),
            P("Подільський міст", "Podilskyjbron", "Podilskyi Bridge"),
        ],
        "problems": [
            P(
                "Середня швидкість наземного транспорту впала до {n} км/год.",
                "Kollektivtrafikens medelhastighet har sjunkit till {n} km/h.",
                "The average speed of surface transport has fallen to {n} km/h.",
                tuple(range(9, 19)),
            ),
            P(
                "Під час відключень світла зупиняються тролейбуси та світлофори.",
                "Vid strömavbrott stannar trolleybussar och trafiksignaler.",
                "During power cuts trolleybuses and traffic lights stop.",
            ),
            P(
                "Пасажири не отримують інформації про рух у реальному часі.",
                "Resenärerna får ingen trafikinformation i realtid.",
                "Passengers get no real-time travel information.",
            ),
            P(
                "Частину мостів закрито для вантажного транспорту.",
                "Vissa broar är stängda för tung trafik.",
                "Some bridges are closed to heavy traffic.",
            ),
        ],
        "outcomes": [
            P("коротший час у дорозі", "kortare restider", "shorter journey times"),
            P("план організації руху", "en trafikplan", "a traffic management plan"),
            P(
                "технічні вимоги до нового рухомого складу",
                "tekniska krav på nya fordon",
                "technical requirements for new vehicles",
            ),
        ],
        "experience": [
            P(
                "Під нашим керуванням понад {n} світлофорних об’єктів.",
                "Vi styr mer än {n} signalanläggningar.",
                "We manage more than {n} traffic signal sites.",
                _tens(500, 900, 50),
            ),
            P(
                "Ми побудували понад {n} км велосипедних доріжок.",
                "Vi har byggt mer än {n} km cykelbanor.",
                "We have built more than {n} km of cycle tracks.",
                _tens(100, 800, 50),
            ),
        ],
        "methods": [
            P(
                "Ми налаштовуємо світлофори за даними про рух.",
                "Vi använder trafikdata för att styra signalerna.",
                "We use traffic data to tune the signals.",
            ),
            P(
                "Ми інспектуємо мости за єдиною системою оцінки стану.",
                "Vi inspekterar broar enligt ett gemensamt system för tillståndsbedömning.",
                "We inspect bridges with a common condition rating system.",
            ),
        ],
    },
    "housing": {
        "topics": [
            P(
                "капітальний ремонт багатоквартирних будинків",
                "renovering av flerbostadshus",
                "renovation of apartment buildings",
            ),
            P(
                "енергоефективність житла",
                "energieffektivisering av bostäder",
                "energy efficiency of housing",
            ),
            P(
                "тимчасове житло для переселенців",
                "tillfälliga bostäder för internflyktingar",
                "temporary housing for displaced people",
            ),
            P(
                "управління муніципальним житловим фондом",
                "förvaltning av kommunala bostäder",
                "management of municipal housing",
            ),
            P(
                "відновлення пошкоджених фасадів і дахів",
                "reparation av skadade fasader och tak",
                "repairing damaged facades and roofs",
            ),
        ],
        "facilities": [
            P("панельний будинок серії 96", "elementhus av typ 96", "type 96 panel building"),
            P("гуртожиток", "korridorboende", "hostel"),
            P(
                "житловий квартал на {n} квартир",
                "bostadskvarter med {n} lägenheter",
                "housing block with {n} flats",
                _tens(100, 900, 50),
            ),
        ],
        "problems": [
            P(
                "У {n} будинках вибуховою хвилею пошкоджено вікна.",
                "I {n} hus har fönster skadats av tryckvågor.",
                "Windows in {n} buildings were damaged by blast waves.",
                _tens(5, 120, 5),
            ),
            P(
                "Черга на соціальне житло зросла.",
                "Kön till sociala bostäder har vuxit.",
                "The waiting list for social housing has grown.",
            ),
            P(
                "Будинки втрачають багато тепла через старі вікна й дахи.",
                "Husen förlorar mycket värme genom gamla fönster och tak.",
                "The buildings lose much heat through old windows and roofs.",
            ),
            P(
                "Об’єднання співвласників не мають досвіду планування ремонтів.",
                "Bostadsrättsföreningarna saknar erfarenhet av underhållsplanering.",
                "Homeowners' associations lack experience in planning maintenance.",
            ),
        ],
        "outcomes": [
            P(
                "типовий проєкт ремонту",
                "ett typförslag för renovering",
                "a standard renovation design",
            ),
            P("нижчі витрати на опалення", "lägre uppvärmningskostnader", "lower heating costs"),
            P(
                "план утримання житлового фонду",
                "en underhållsplan för bostadsbeståndet",
                "a maintenance plan for the housing stock",
            ),
        ],
        "experience": [
            P(
                "Ми управляємо житловим фондом понад {n} тисяч квартир.",
                "Vi förvaltar mer än {n} tusen lägenheter.",
                "We manage more than {n} thousand flats.",
                _tens(10, 40, 5),
            ),
            P(
                "Ми ремонтували будинки 1960-х років без відселення мешканців.",
                "Vi har renoverat 1960-talshus utan att flytta ut hyresgästerna.",
                "We have renovated 1960s buildings without moving tenants out.",
            ),
        ],
        "methods": [
            P(
                "Ми плануємо ремонти за даними енергетичних обстежень.",
                "Vi planerar renoveringar utifrån energikartläggningar.",
                "We plan renovations based on energy surveys.",
            ),
            P(
                "Ми залучаємо мешканців до рішень щодо ремонту.",
                "Vi involverar hyresgästerna i besluten om renovering.",
                "We involve tenants in renovation decisions.",
            ),
        ],
    },
    "waste": {
        "topics": [
            P("роздільний збір відходів", "källsortering av avfall", "separate waste collection"),
            P(
                "переробка будівельного сміття",
                "återvinning av rivningsmassor",
                "recycling construction debris",
            ),
            P("рекультивація полігону", "sanering av deponin", "remediation of the landfill"),
            P(
                "збір небезпечних відходів",
                "insamling av farligt avfall",
                "collection of hazardous waste",
            ),
            P(
                "оптимізація маршрутів сміттєвозів",
                "ruttoptimering för sopbilar",
                "route planning for refuse trucks",
            ),
        ],
        "facilities": [
            P("полігон №5", "deponi nr 5", "landfill No. 5"),
            P(
                "сміттєспалювальний завод «Енергія»",
                "förbränningsanläggningen Enerhija",
                "Enerhiia incineration plant",
            ),
            P("сортувальна станція", "sorteringsanläggning", "sorting plant"),
        ],
        "problems": [
            P(
                "Після руйнувань залишилося понад {n} тисяч тонн будівельного сміття.",
                "Förstörelsen har lämnat mer än {n} tusen ton rivningsmassor.",
                "The destruction has left more than {n} thousand tonnes of debris.",
                _tens(20, 400),
            ),
            P(
                "Сортують лише {n}% відходів.",
                "Bara {n} % av avfallet sorteras.",
                "Only {n}% of waste is sorted.",
                (5, 10, 15),
            ),
            P(
                "Полігон майже заповнений.",
                "Deponin är nästan full.",
                "The landfill is almost full.",
            ),
            P(
                "Немає системи збору батарейок і ламп.",
                "Det saknas insamling av batterier och lampor.",
                "There is no collection of batteries and lamps.",
            ),
        ],
        "outcomes": [
            P("вища частка переробки", "högre andel återvinning", "a higher recycling rate"),
            P(
                "план поводження з будівельним сміттям",
                "en plan för rivningsmassor",
                "a plan for construction debris",
            ),
            P(
                "безпечне закриття полігону",
                "säker avslutning av deponin",
                "safe closure of the landfill",
            ),
        ],
        "experience": [
            P(
                "Ми вивозимо відходи від понад {n} тисяч домогосподарств.",
                "Vi hämtar avfall hos mer än {n} tusen hushåll.",
                "We collect waste from more than {n} thousand households.",
                _tens(300, 500, 50),
            ),
            P(
                "Ми запровадили збір харчових відходів по всьому місту.",
                "Vi har infört insamling av matavfall i hela staden.",
                "We have introduced food waste collection across the city.",
            ),
        ],
        "methods": [
            P(
                "Ми використовуємо датчики заповнення контейнерів.",
                "Vi använder nivågivare i behållarna.",
                "We use fill-level sensors in the containers.",
            ),
            P(
                "Ми повторно використовуємо подрібнений бетон у дорожньому будівництві.",
                "Vi återanvänder krossad betong i vägbyggen.",
                "We reuse crushed concrete in road building.",
            ),
        ],
    },
    "health_care": {
        "topics": [
            P(
                "реабілітація поранених",
                "rehabilitering av skadade",
                "rehabilitation of the wounded",
            ),
            P(
                "електронні медичні записи",
                "elektroniska patientjournaler",
                "electronic health records",
            ),
            P(
                "екстрена медична допомога",
                "akutsjukvård och ambulans",
                "emergency medical care",
            ),
            P(
                "психічне здоров’я населення",
                "psykisk hälsa i befolkningen",
                "mental health of the population",
            ),
            P("резервне живлення лікарень", "reservkraft på sjukhus", "backup power for hospitals"),
        ],
        "facilities": [
            P(
                "міська клінічна лікарня №{n}",
                "stadens sjukhus nr {n}",
                "city clinical hospital No. {n}",
                tuple(range(1, 19)),
            ),
            P(
                "центр первинної медико-санітарної допомоги",
                "vårdcentral",
                "primary care centre",
            ),
            P("станція швидкої допомоги", "ambulansstation", "ambulance station"),
        ],
        "problems": [
            P(
                "Кількість пацієнтів, які потребують реабілітації, зросла на {n}%.",
                "Antalet patienter som behöver rehabilitering har ökat med {n} %.",
                "The number of patients needing rehabilitation has grown by {n}%.",
                _tens(20, 150),
            ),
            P(
                "Бракує фахівців з протезування.",
                "Det saknas specialister på protestillverkning.",
                "There is a shortage of prosthetics specialists.",
            ),
            P(
                "Медичні записи ведуться на папері.",
                "Journalerna förs på papper.",
                "Medical records are kept on paper.",
            ),
            P(
                "Час доїзду швидкої допомоги перевищує {n} хвилин.",
                "Ambulansens insatstid överstiger {n} minuter.",
                "Ambulance response times exceed {n} minutes.",
                _tens(15, 40, 5),
            ),
        ],
        "outcomes": [
            P("програма реабілітації", "ett rehabiliteringsprogram", "a rehabilitation programme"),
            P(
                "коротший час доїзду швидкої",
                "kortare insatstider för ambulansen",
                "shorter ambulance response times",
            ),
            P(
                "план підготовки персоналу",
                "en utbildningsplan för personalen",
                "a staff training plan",
            ),
        ],
        "experience": [
            P(
                "Наші центри щороку приймають понад {n} тисяч пацієнтів.",
                "Våra mottagningar tar emot mer än {n} tusen patienter per år.",
                "Our clinics see more than {n} thousand patients a year.",
                _tens(20, 200),
            ),
            P(
                "Ми організували догляд удома для літніх людей у всьому місті.",
                "Vi har byggt upp hemtjänst för äldre i hela staden.",
                "We have built up home care for older people across the city.",
            ),
        ],
        "methods": [
            P(
                "Ми працюємо мультидисциплінарними командами.",
                "Vi arbetar i multiprofessionella team.",
                "We work in multidisciplinary teams.",
            ),
            P(
                "Ми проводимо консультації через телемедицину.",
                "Vi använder digitala vårdmöten för konsultationer.",
                "We use telemedicine for consultations.",
            ),
        ],
    },
    "social_services": {
        "topics": [
            P(
                "підтримка внутрішньо переміщених осіб",
                "stöd till internflyktingar",
                "support for internally displaced people",
            ),
            P(
                "соціальні послуги для ветеранів",
                "sociala tjänster för veteraner",
                "social services for veterans",
            ),
            P(
                "догляд за літніми людьми вдома",
                "hemtjänst för äldre",
                "home care for older people",
            ),
            P("кризові центри для сімей", "krisstöd för familjer", "crisis centres for families"),
            P(
                "цифровий облік отримувачів допомоги",
                "digitalt register över biståndsmottagare",
                "digital register of benefit recipients",
            ),
        ],
        "facilities": [
            P(
                "територіальний центр соціального обслуговування",
                "socialt servicecenter",
                "social services centre",
            ),
            P(
                "центр для переселенців",
                "mottagningscenter för internflyktingar",
                "reception centre for displaced people",
            ),
            P("кризовий центр", "kriscentrum", "crisis centre"),
        ],
        "problems": [
            P(
                "У районі зареєстровано понад {n} тисяч переселенців.",
                "Mer än {n} tusen internflyktingar är registrerade i stadsdelen.",
                "More than {n} thousand displaced people are registered in the district.",
                _tens(5, 60, 5),
            ),
            P(
                "Соціальні працівники перевантажені.",
                "Socialsekreterarna är överbelastade.",
                "Social workers are overloaded.",
            ),
            P(
                "Дані про отримувачів допомоги розпорошені між системами.",
                "Uppgifterna om biståndsmottagare är spridda över flera system.",
                "Data on benefit recipients is scattered across systems.",
            ),
            P(
                "Під час відключень літні люди залишаються без догляду.",
                "Äldre blir utan omsorg under strömavbrott.",
                "Older people are left without care during power cuts.",
            ),
        ],
        "outcomes": [
            P(
                "єдиний стандарт соціальних послуг",
                "en gemensam standard för sociala tjänster",
                "a common standard for social services",
            ),
            P(
                "навчені соціальні працівники",
                "utbildade socialsekreterare",
                "trained social workers",
            ),
            P(
                "карта потреб мешканців",
                "en kartläggning av invånarnas behov",
                "a map of residents' needs",
            ),
        ],
        "experience": [
            P(
                "Щодня до нашої служби звертаються понад {n} мешканців.",
                "Varje dag vänder sig mer än {n} invånare till oss.",
                "More than {n} residents turn to our service every day.",
                _tens(500, 5000, 500),
            ),
            P(
                "Ми створили єдину точку звернення для нових мешканців.",
                "Vi har skapat en gemensam ingång för nyanlända.",
                "We have created a single point of contact for newcomers.",
            ),
        ],
        "methods": [
            P(
                "Ми працюємо за методом ведення випадку.",
                "Vi arbetar med case management.",
                "We work with case management.",
            ),
            P(
                "Ми співпрацюємо з громадськими організаціями району.",
                "Vi samarbetar med civilsamhällets organisationer.",
                "We cooperate with civil society organisations.",
            ),
        ],
    },
    "democracy": {
        "topics": [
            P(
                "участь мешканців у бюджетуванні",
                "medborgarbudget",
                "participatory budgeting",
            ),
            P(
                "прозорість закупівель",
                "öppenhet i offentlig upphandling",
                "transparency in public procurement",
            ),
            P("молодіжні ради", "ungdomsråd", "youth councils"),
            P("протидія корупції", "arbete mot korruption", "anti-corruption work"),
            P("електронні петиції", "e-förslag från invånare", "electronic petitions"),
        ],
        "facilities": [
            P("Київська міська рада", "Kyivs stadsfullmäktige", "Kyiv City Council"),
            P("районна адміністрація", "stadsdelsförvaltning", "district administration"),
            P(
                "центр надання адміністративних послуг",
                "medborgarkontor",
                "administrative services centre",
            ),
        ],
        "problems": [
            P(
                "Лише {n}% мешканців довіряють місцевій владі.",
                "Bara {n} % av invånarna litar på de lokala myndigheterna.",
                "Only {n}% of residents trust the local authorities.",
                _tens(15, 45, 5),
            ),
            P(
                "Мешканці мало знають про рішення міста.",
                "Invånarna vet lite om stadens beslut.",
                "Residents know little about the city's decisions.",
            ),
            P(
                "Закупівлі на відбудову мають бути прозорими для донорів.",
                "Upphandlingar för återuppbyggnaden måste vara öppna för givarna.",
                "Procurement for reconstruction must be transparent to donors.",
            ),
            P(
                "Молодь не бере участі в міських консультаціях.",
                "Unga deltar inte i stadens samråd.",
                "Young people do not take part in city consultations.",
            ),
        ],
        "outcomes": [
            P(
                "порядок громадських консультацій",
                "en ordning för samråd med invånare",
                "a procedure for public consultations",
            ),
            P(
                "відкритий реєстр договорів",
                "ett öppet avtalsregister",
                "an open register of contracts",
            ),
            P(
                "навчання депутатів і службовців",
                "utbildning för förtroendevalda och tjänstemän",
                "training for elected members and officials",
            ),
        ],
        "experience": [
            P(
                "За останні роки ми провели понад {n} діалогів з мешканцями.",
                "Vi har genomfört mer än {n} medborgardialoger de senaste åren.",
                "We have held more than {n} citizen dialogues in recent years.",
                _tens(30, 200),
            ),
            P(
                "Ми публікуємо всі рішення міської ради у відкритому доступі.",
                "Vi publicerar alla fullmäktigebeslut öppet.",
                "We publish all council decisions openly.",
            ),
        ],
        "methods": [
            P(
                "Ми збираємо пропозиції мешканців на цифрових платформах.",
                "Vi använder digitala plattformar för invånarförslag.",
                "We use digital platforms for residents' proposals.",
            ),
            P(
                "Ми навчаємо службовців етики та запобігання конфлікту інтересів.",
                "Vi utbildar tjänstemän i etik och jäv.",
                "We train officials in ethics and conflicts of interest.",
            ),
        ],
    },
}

# Kyiv streets, with a house number: titles and descriptions name where the need is.
_HOUSES = tuple(range(1, 150))
STREETS = [
    P("вул. Хрещатик, {n}", "Khreshchatyk {n}", "{n} Khreshchatyk Street", _HOUSES),
    P(
        "вул. Велика Васильківська, {n}",
        "Velyka Vasylkivska {n}",
        "{n} Velyka Vasylkivska Street",
        _HOUSES,
    ),
    P("просп. Берестейський, {n}", "Beresteiskyi prospekt {n}", "{n} Beresteiskyi Avenue", _HOUSES),
    P("Оболонський просп., {n}", "Obolonskyi prospekt {n}", "{n} Obolonskyi Avenue", _HOUSES),
    P(
        "просп. Миколи Бажана, {n}",
        "Mykoly Bazhana prospekt {n}",
        "{n} Mykoly Bazhana Avenue",
        _HOUSES,
    ),
    P("вул. Антоновича, {n}", "Antonovycha {n}", "{n} Antonovycha Street", _HOUSES),
    P("Харківське шосе, {n}", "Kharkivske sjose {n}", "{n} Kharkivske Highway", _HOUSES),
    P("вул. Саксаганського, {n}", "Saksahanskoho {n}", "{n} Saksahanskoho Street", _HOUSES),
    P("вул. Олени Теліги, {n}", "Oleny Telihy {n}", "{n} Oleny Telihy Street", _HOUSES),
    P(
        "просп. Академіка Глушкова, {n}",
        "Akademika Hlushkova prospekt {n}",
        "{n} Akademika Hlushkova Avenue",
        _HOUSES,
    ),
    P("вул. Драгоманова, {n}", "Drahomanova {n}", "{n} Drahomanova Street", _HOUSES),
    P(
        "Дніпровська набережна, {n}",
        "Dniprovska naberezjna {n}",
        "{n} Dniprovska Embankment",
        _HOUSES,
    ),
    P(
        "вул. Січових Стрільців, {n}",
        "Sitjovych Striltsiv {n}",
        "{n} Sichovykh Striltsiv Street",
        _HOUSES,
    ),
    P("вул. Ярославська, {n}", "Jaroslavska {n}", "{n} Yaroslavska Street", _HOUSES),
]

# ---------------------------------------------------------------- frames

NEED_TITLES = [
    P("{topic} — {help}", "{topic} – {help}", "{topic}: {help}"),
    P("{topic}: {facility}", "{topic}: {facility}", "{topic}: {facility}"),
    P("{topic} ({district})", "{topic} ({district})", "{topic} ({district})"),
    P("{help}: {topic}", "{help}: {topic}", "{help}: {topic}"),
    P("{topic}, {street}", "{topic}, {street}", "{topic}, {street}"),
    P(
        "{facility} ({street}): {topic}",
        "{facility} ({street}): {topic}",
        "{facility} ({street}): {topic}",
    ),
]
NEED_ADDRESS = P("Адреса: {street}.", "Adress: {street}.", "Address: {street}.")
NEED_FACILITY = P("Об’єкт: {facility}.", "Objekt: {facility}.", "Site: {facility}.")
NEED_DISTRICT = P("Район: {district}.", "Stadsdel: {district}.", "District: {district}.")
NEED_GOAL = P(
    "Очікуваний результат: {outcome}.",
    "Förväntat resultat: {outcome}.",
    "Expected result: {outcome}.",
)
NEED_ASK = P(
    "Потрібно: {help}. Орієнтовний обсяг робіт, людино-днів: {days}.",
    "Vi söker: {help}, cirka {days} persondagar.",
    "We are looking for: {help}, about {days} person-days.",
)
NEED_CONTEXT = [
    P(
        "Роботи мають бути завершені до початку опалювального сезону.",
        "Arbetet bör vara klart före eldningssäsongen.",
        "The work should be finished before the heating season.",
    ),
    P(
        "Документацію можемо надати українською та англійською мовами.",
        "Vi kan ta fram underlag på ukrainska och engelska.",
        "We can provide documents in Ukrainian and English.",
    ),
    P(
        "Потрібна координація з районною адміністрацією.",
        "Samordning med stadsdelsförvaltningen behövs.",
        "Coordination with the district administration is needed.",
    ),
    P(
        "Фінансування частково забезпечено з міського бюджету.",
        "Finansieringen är delvis säkrad i stadens budget.",
        "Funding is partly secured in the city budget.",
    ),
    P(
        "Зустрічі можливі онлайн або в Києві.",
        "Möten kan hållas digitalt eller i Kyiv.",
        "Meetings can be held online or in Kyiv.",
    ),
    P(
        "Через воєнний стан частину даних можна передати лише особисто.",
        "På grund av krigslagen kan vissa uppgifter bara lämnas personligen.",
        "Under martial law some data can only be shared in person.",
    ),
]

OFFER_TITLES = [
    P("{topic} — {help}", "{topic} – {help}", "{topic}: {help}"),
    P("Досвід: {topic}", "Erfarenhet av {topic}", "Experience in {topic}"),
    P("{help}: {topic}", "{help}: {topic}", "{help}: {topic}"),
    P("{topic} ({organisation})", "{topic} ({organisation})", "{topic} ({organisation})"),
]
OFFER_INTRO = P(
    "{organisation} пропонує: {help} у сфері «{theme}».",
    "{organisation} erbjuder {help} inom området {theme}.",
    "{organisation} offers {help} in the field of {theme}.",
)
OFFER_TOPIC = P(
    "Наш досвід стосується теми: {topic}.",
    "Vår erfarenhet gäller {topic}.",
    "Our experience covers {topic}.",
)
OFFER_CAPACITY = P(
    "Обсяг пропозиції, людино-днів: {days}.",
    "Vi kan avsätta {days} persondagar.",
    "We can set aside {days} person-days.",
)
OFFER_CONTEXT = [
    P(
        "Робочі мови: шведська та англійська; для роботи українською потрібен перекладач.",
        "Arbetsspråk: svenska och engelska; tolk behövs för ukrainska.",
        "Working languages: Swedish and English; an interpreter is needed for Ukrainian.",
    ),
    P(
        "Ми можемо прийняти делегацію до {n} осіб.",
        "Vi kan ta emot en delegation på upp till {n} personer.",
        "We can host a delegation of up to {n} people.",
        (4, 6, 8, 10, 12, 15),
    ),
    P(
        "Частину роботи можна виконати дистанційно.",
        "En del av arbetet kan göras på distans.",
        "Part of the work can be done remotely.",
    ),
    P(
        "Витрати на відрядження покриває програма співпраці.",
        "Resekostnader täcks av samarbetsprogrammet.",
        "Travel costs are covered by the cooperation programme.",
    ),
    P(
        "Ми охоче підготуємо навчальні матеріали.",
        "Vi tar gärna fram utbildningsmaterial.",
        "We are happy to prepare training material.",
    ),
]

PROJECT_TITLES = [
    P(
        "Співпраця Київ–Стокгольм: {topic}",
        "Samarbete Kyiv–Stockholm: {topic}",
        "Kyiv–Stockholm cooperation: {topic}",
    ),
    P("{topic} ({district})", "{topic} ({district})", "{topic} ({district})"),
    P("Пілотний проєкт: {topic}", "Pilotprojekt: {topic}", "Pilot project: {topic}"),
]
PROJECT_PARTNERS = P(
    "Партнери: {requester} і {expert}.",
    "Parter: {requester} och {expert}.",
    "Partners: {requester} and {expert}.",
)
PROJECT_GOAL = P(
    "Мета проєкту: {outcome}.", "Projektets mål: {outcome}.", "Project goal: {outcome}."
)

MILESTONES = [
    P("Початкова зустріч", "Uppstartsmöte", "Kick-off meeting"),
    P("Аналіз поточного стану", "Nulägesanalys", "Analysis of the current state"),
    P("Навчальний візит", "Studiebesök", "Study visit"),
    P("Проєкт технічного завдання", "Utkast till kravspecifikation", "Draft specification"),
    P("Пілотне впровадження", "Pilotinförande", "Pilot roll-out"),
    P("Навчання персоналу", "Utbildning av personal", "Staff training"),
    P("Закупівля обладнання", "Upphandling av utrustning", "Procurement of equipment"),
    P("Оцінка результатів", "Utvärdering", "Evaluation"),
    P("Підсумковий звіт", "Slutrapport", "Final report"),
]

REPORT_HEADLINES = {
    "on_track": [
        P("Роботи йдуть за планом.", "Arbetet går enligt plan.", "Work is on schedule."),
        P(
            "Усі заплановані на цей місяць заходи виконано.",
            "Alla aktiviteter som planerats för månaden är genomförda.",
            "All activities planned for this month are done.",
        ),
    ],
    "at_risk": [
        P("Є ризик затримки.", "Det finns risk för förseningar.", "There is a risk of delay."),
        P(
            "Частину робіт відкладено.",
            "En del av arbetet har skjutits upp.",
            "Part of the work has been postponed.",
        ),
    ],
    "off_track": [
        P(
            "Проєкт відстає від графіка.",
            "Projektet ligger efter tidsplanen.",
            "The project is behind schedule.",
        ),
        P(
            "Ключові етапи не виконано вчасно.",
            "Viktiga delmål har inte nåtts i tid.",
            "Key milestones were not met on time.",
        ),
    ],
}
REPORT_GOOD = [
    P(
        "Проведено {n} робочих зустрічей.",
        "Vi har hållit {n} arbetsmöten.",
        "We have held {n} working meetings.",
        (5, 6, 7, 8, 9, 10, 12, 15),
    ),
    P(
        "Навчальний візит до Стокгольма відбувся.",
        "Studiebesöket i Stockholm har genomförts.",
        "The study visit to Stockholm has taken place.",
    ),
    P(
        "Технічне завдання погоджено обома сторонами.",
        "Kravspecifikationen är godkänd av båda parter.",
        "Both sides have approved the specification.",
    ),
    P(
        "Підготовлено звіт за результатами обстеження.",
        "En rapport från inventeringen är klar.",
        "A report on the survey is ready.",
    ),
]
REPORT_BAD = [
    P(
        "Постачання обладнання затримується.",
        "Leveransen av utrustning är försenad.",
        "Delivery of equipment is delayed.",
    ),
    P(
        "Через відключення електроенергії частину зустрічей перенесено.",
        "På grund av strömavbrott har några möten flyttats.",
        "Because of power cuts some meetings were postponed.",
    ),
    P(
        "Повітряні тривоги порушили графік навчань.",
        "Flyglarm har stört utbildningsschemat.",
        "Air raid alerts have disrupted the training schedule.",
    ),
    P(
        "Потрібне рішення координаторів щодо нових строків.",
        "Samordnarna behöver besluta om nya datum.",
        "The coordinators need to decide on new dates.",
    ),
]

DECLINE_REASONS = {
    "uk": [
        "Ця пропозиція не відповідає нашим строкам.",
        "Наразі ми отримали допомогу від іншого партнера.",
        "Потрібен інший вид допомоги.",
    ],
    "sv": [
        "Vi har inte kapacitet under den perioden.",
        "Behovet ligger utanför vårt uppdrag.",
        "Vi saknar rätt kompetens för just detta.",
    ],
}

FIRST_NAMES = {
    "uk": ["Олена", "Тарас", "Оксана", "Андрій", "Ірина", "Богдан", "Наталія", "Дмитро", "Юлія"],
    "sv": ["Anna", "Erik", "Maria", "Johan", "Karin", "Lars", "Sara", "Mikael", "Elin"],
}
LAST_NAMES = {
    "uk": ["Коваленко", "Шевчук", "Бондаренко", "Мельник", "Ткаченко", "Кравчук", "Поліщук"],
    "sv": ["Lindqvist", "Berg", "Holm", "Sandberg", "Nyström", "Ekström", "Lundgren"],
}
