"""Needs of the demo data with the offers a person would pick for them (or accept as worth
reading), by their demo keys. Read by ``test_suggestion_quality.py``; the offers already on a
live match with the need are not suggested and are not listed."""

PICKS: dict[str, set[str]] = {
    "pechersk_acoustic_loggers": {"svoa_leak_detection", "svoa_hydraulic_model"},
    "podil_sewer_cctv": {"svoa_hydraulic_model", "svoa_leak_detection"},
    "trunk_mains_plan": {"svoa_leak_detection"},
    "pumping_backup_power": {"exergi_island_operation"},
    "chp_island_mode": {"svoa_pumping_stations"},
    "school_solar_power": {
        "exergi_island_operation",
        "svoa_pumping_stations",
        "sisab_energy_schools",
    },
    "modular_boiler_houses": {"exergi_mobile_boilers", "exergi_island_operation"},
    "heating_balancing": {"exergi_network_renewal", "sb_energy_retrofit"},
    "heating_scada": {"exergi_network_renewal", "exergi_island_operation"},
    "rybalskyi_peninsula": {"sbk_neighbourhood_planning", "sbk_universal_design"},
    "barrier_free_centre": {"sbk_universal_design", "trafik_cycling"},
    "special_needs_visit": {"utbf_inclusion_visit", "utbf_pupil_health"},
    "lyceum_rebuild": {"sisab_shelters", "sb_energy_retrofit"},
    "e_ticket_analytics": {"trafik_signal_priority"},
    "damaged_housing_survey": {"sbk_neighbourhood_planning", "sb_energy_retrofit"},
    "home_care_blackouts": {"serv_resident_service"},
    "participatory_budget": {"slk_citizen_dialogue", "sb_tenant_involvement"},
    "reconstruction_open_data": {"slk_citizen_dialogue"},
    "youth_councils": {"slk_citizen_dialogue"},
    "public_consultations": {
        "slk_citizen_dialogue",
        "sb_tenant_involvement",
        "sbk_neighbourhood_planning",
    },
}
