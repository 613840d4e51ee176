"""Station physics: web speeds, overheads, changeovers, consumption, defects and process windows.

Every expected number below is worked out by hand from the physics in /work/shared/domain.md (the
arithmetic is in the comment or in the expression), never copied from a run of the code.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from stations import (
    STATION_TYPES,
    DefectType,
    EquipmentSpec,
    Problem,
    RecipeStepSpec,
    RollOverhead,
    check_recipe,
    complete_recipe,
    parse_duration,
)
from stations.ald import AldStep, SpatialAld
from stations.anneal import AnnealOven, AnnealStep
from stations.distributions import Exponential, Fixed
from stations.generic import GenericStation, GenericStep
from stations.li_evaporation import LithiumEvaporator, LithiumStep
from stations.oxidation import OxidationFurnace, OxidationStep
from stations.pecvd import CapLayer, PecvdCoater, PecvdStep
from stations.slitting import Slitter, SlittingStep

R = 8.314462618  # gas constant, J/(mol·K)
PROPERTY = settings(max_examples=60, deadline=None)


def messages(findings: list[Problem]) -> list[str]:
    return [f.message for f in findings]


# --------------------------------------------------------------------------------- equipment
def furnace(**kw: object) -> OxidationFurnace:
    return OxidationFurnace(
        **{"web_width_m": 1.2, "max_speed_m_min": 50.0, "heated_length_m": 20.0, **kw}
    )


def coater(**kw: object) -> PecvdCoater:
    return PecvdCoater(
        **{
            "web_width_m": 1.7,
            "max_speed_m_min": 20.0,
            "sources": 4,
            "dynamic_rate_nm_m_min": 3000.0,
            **kw,
        }
    )


def ald_tool(**kw: object) -> SpatialAld:
    return SpatialAld(
        **{"web_width_m": 1.5, "max_speed_m_min": 100.0, "heads": 8, "head_speed_m_min": 40.0, **kw}
    )


def evaporator(**kw: object) -> LithiumEvaporator:
    return LithiumEvaporator(
        **{
            "web_width_m": 1.2,
            "max_speed_m_min": 50.0,
            "dynamic_rate_um_m_min": 30.0,
            "crucible_capacity_kg": 20.0,
            **kw,
        }
    )


def oven(**kw: object) -> AnnealOven:
    return AnnealOven(
        **{"web_width_m": 1.2, "max_speed_m_min": 20.0, "heated_length_m": 12.0, **kw}
    )


def slitter(**kw: object) -> Slitter:
    return Slitter(**{"web_width_m": 1.5, "max_speed_m_min": 200.0, "line_speed_m_min": 50.0, **kw})


# ================================================================================ registry
def test_every_station_type_is_registered_under_its_tag() -> None:
    assert set(STATION_TYPES) == {
        "oxidation",
        "pecvd",
        "ald",
        "li_evaporation",
        "anneal",
        "slitting",
        "generic",
    }


def test_scenario_unions_pick_the_class_from_the_tag() -> None:
    equipment = TypeAdapter(EquipmentSpec).validate_python(
        {
            "type": "pecvd",
            "web_width_m": 1.7,
            "max_speed_m_min": 10,
            "sources": 4,
            "dynamic_rate_nm_m_min": 3000,
        }
    )
    step = TypeAdapter(RecipeStepSpec).validate_python(
        {"station_type": "anneal", "temperature_c": 475, "dwell": "10min"}
    )
    assert isinstance(equipment, PecvdCoater)
    assert isinstance(step, AnnealStep)
    assert step.dwell == 10.0


def test_a_misspelt_equipment_field_is_rejected() -> None:
    # users rely on typos in scenario files being caught, not silently defaulted
    with pytest.raises(ValidationError, match="source"):
        coater(source=6)


# ============================================================================== durations
@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        (45, 45.0),
        (2.5, 2.5),
        ("45", 45.0),
        ("45min", 45.0),
        ("8h", 8 * 60.0),  # 480
        ("2d", 2 * 1440.0),  # 2880
        ("1.5d", 1.5 * 1440.0),  # 2160
        ("90s", 90 / 60),  # 1.5
        (" 2 h ", 120.0),
        ("8H", 480.0),
        ("1w", 7 * 1440.0),  # 10080
    ],
)
def test_parse_duration_gives_minutes(text: object, minutes: float) -> None:
    assert parse_duration(text) == pytest.approx(minutes)


@pytest.mark.parametrize(
    "text", ["abc", "", "5 parsecs", "-5min", "1h30min", "h", True, None, [1], math.nan, math.inf]
)
def test_parse_duration_rejects_nonsense_with_a_clear_error(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_parse_duration_error_shows_the_value_and_examples() -> None:
    with pytest.raises(ValueError, match=r"'ten minutes' is not a duration.*'45min', '8h'"):
        parse_duration("ten minutes")


def test_duration_fields_accept_strings_and_reject_negative_times() -> None:
    # pump-down "1h" = 60 min; recipe change "90s" = 1.5 min
    tool = coater(pump_down="1h", recipe_change="90s")
    assert tool.pump_down == 60.0
    assert tool.recipe_change == pytest.approx(1.5)
    with pytest.raises(ValidationError):
        coater(vent=-5)
    with pytest.raises(ValidationError):
        AnnealStep(temperature_c=400, dwell=0)  # a dwell must be positive


@PROPERTY
@given(hours=st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_hours_string_is_sixty_times_minutes(hours: float) -> None:
    assert parse_duration(f"{hours!r}h") == pytest.approx(60 * hours)


# ========================================================================== roll overhead
def test_roll_overhead_parts() -> None:
    overhead = RollOverhead(load_thread=15, pump_down=45, vent=20, unload=10)
    assert overhead.total == 15 + 45 + 20 + 10  # 90 min per roll in a roll-coupled tool
    assert overhead.unwind_change == 20 + 15 + 45  # vent, load, pump: 80 min at an inline head
    assert overhead.rewind_change == 10  # unload: 10 min at an inline tail


def test_vacuum_tools_pump_and_vent_each_roll_and_atmospheric_ones_do_not() -> None:
    step = PecvdStep(si_thickness_um=4)
    # PECVD defaults: load 15, pump 45, vent 20, unload 10
    assert coater().roll_overhead(step).total == 15 + 45 + 20 + 10
    # oven: load 15, unload 10, no vacuum
    overhead = oven().roll_overhead(AnnealStep(temperature_c=450, dwell=10))
    assert (overhead.pump_down, overhead.vent) == (0, 0)
    assert overhead.total == 15 + 10
    # lithium evaporator defaults: load 15, pump 40, vent 20, unload 10
    li = evaporator().roll_overhead(LithiumStep(li_thickness_um=5))
    assert li.total == 15 + 40 + 20 + 10
    assert li.unwind_change == 20 + 15 + 40


def test_roll_overhead_follows_the_equipment_settings() -> None:
    tool = ald_tool(load_thread="20min", unload="0.25h")
    overhead = tool.roll_overhead(AldStep(material="TiO2", thickness_nm=6))
    assert overhead.total == 20 + 15  # 0.25 h = 15 min
    assert overhead.rewind_change == 15


# ============================================================================== oxidation
def test_seed_example_700c_30min_gives_0_7_to_1_2_um() -> None:
    # 000, anodes 1-10: 700 °C for 30 min gives 0.7-1.2 µm of NiO
    thickness = furnace().oxide_thickness_um(700, 30)
    assert 0.7 <= thickness <= 1.2


@pytest.mark.parametrize("activation_kj_mol", [150.0, 200.0, 250.0])
def test_calibration_point_holds_whatever_the_activation_energy(activation_kj_mol: float) -> None:
    # at the calibration temperature the Arrhenius factor is exp(0) = 1: x = sqrt(x_ref²/30 × 30)
    tool = furnace(activation_energy_kj_mol=activation_kj_mol, calibration_thickness_um=1.1)
    assert tool.oxide_thickness_um(700, 30) == pytest.approx(1.1)


def test_oxidation_parabolic_law_at_the_calibration_temperature() -> None:
    # x² = k_p t, k_p = 0.95²/30 µm²/min: four times the time gives twice the oxide
    tool = furnace()
    assert tool.oxide_thickness_um(700, 120) == pytest.approx(2 * 0.95)
    assert tool.oxide_thickness_um(700, 7.5) == pytest.approx(0.95 / 2)
    # half the oxide needs a quarter of the dwell: 30 / 4 = 7.5 min
    assert tool.dwell_min(OxidationStep(temperature_c=700, oxide_thickness_um=0.475)) == (
        pytest.approx(7.5)
    )


def test_oxidation_arrhenius_scaling_to_800c() -> None:
    # k_p(800)/k_p(700) = exp(-Ea/R (1/1073.15 K - 1/973.15 K))
    #                   = exp(200000/8.3145 × 9.5755e-5) = exp(2.3033) ≈ 10.0
    ratio = math.exp(-200_000 / R * (1 / (800 + 273.15) - 1 / (700 + 273.15)))
    assert ratio == pytest.approx(10.0, rel=1e-3)  # the hand value above
    tool = furnace()
    k_ref = 0.95**2 / 30  # µm²/min at 700 °C
    assert tool.parabolic_rate_um2_min(800) == pytest.approx(k_ref * ratio)
    # 0.95 µm at 800 °C: dwell = 30 min / 10.0 ≈ 3.0 min; speed = 20 m / 3.0 min ≈ 6.67 m/min
    step = OxidationStep(temperature_c=800, oxide_thickness_um=0.95)
    assert tool.dwell_min(step) == pytest.approx(30 / ratio)
    assert tool.dwell_min(step) == pytest.approx(3.0, rel=1e-3)
    assert tool.web_speed_m_min(step) == pytest.approx(20 / (30 / ratio))


def test_oxidation_arrhenius_with_a_plant_activation_energy() -> None:
    # 150 kJ/mol, 600 °C: ratio = exp(-150000/8.3145 (1/873.15 - 1/973.15)) = exp(-2.1232) ≈ 0.1197
    ratio = math.exp(-150_000 / R * (1 / 873.15 - 1 / 973.15))
    assert ratio == pytest.approx(0.1197, rel=1e-3)
    tool = furnace(activation_energy_kj_mol=150)
    # 0.95 µm then needs 30 / 0.1197 ≈ 250.6 min
    step = OxidationStep(temperature_c=600, oxide_thickness_um=0.95)
    assert tool.dwell_min(step) == pytest.approx(30 / ratio)


def test_oxidation_speed_is_heated_length_over_dwell() -> None:
    # 700 °C, 0.95 µm: dwell 30 min; 20 m / 30 min = 0.667 m/min
    step = OxidationStep(temperature_c=700, oxide_thickness_um=0.95)
    assert furnace().web_speed_m_min(step) == pytest.approx(20 / 30)
    # 60 m furnace: 60 / 30 = 2 m/min
    assert furnace(heated_length_m=60).web_speed_m_min(step) == pytest.approx(2.0)


def test_oxidation_speed_is_capped_by_the_top_speed() -> None:
    # 0.095 µm needs (0.1)² × 30 = 0.3 min: 20 m / 0.3 min = 66.7 m/min > 50 m/min cap
    step = OxidationStep(temperature_c=700, oxide_thickness_um=0.095)
    assert furnace().process_speed_m_min(step) == pytest.approx(20 / 0.3)
    assert furnace().web_speed_m_min(step) == 50.0


@PROPERTY
@given(
    temperature=st.floats(min_value=300, max_value=1000),
    thickness=st.floats(min_value=0.01, max_value=1.2),
    activation=st.floats(min_value=100, max_value=300),
)
def test_oxidation_thickness_of_the_dwell_round_trips(
    temperature: float, thickness: float, activation: float
) -> None:
    tool = furnace(activation_energy_kj_mol=activation)
    step = OxidationStep(temperature_c=temperature, oxide_thickness_um=thickness)
    assert tool.oxide_thickness_um(temperature, tool.dwell_min(step)) == pytest.approx(thickness)


@PROPERTY
@given(
    t_low=st.floats(min_value=300, max_value=999),
    delta=st.floats(min_value=1, max_value=300),
    thickness=st.floats(min_value=0.01, max_value=1.2),
)
def test_a_hotter_furnace_runs_the_web_faster(t_low: float, delta: float, thickness: float) -> None:
    tool = furnace(max_speed_m_min=1000)
    slow = tool.process_speed_m_min(
        OxidationStep(temperature_c=t_low, oxide_thickness_um=thickness)
    )
    fast = tool.process_speed_m_min(
        OxidationStep(temperature_c=t_low + delta, oxide_thickness_um=thickness)
    )
    assert fast > slow


def test_oxidation_changeover_ramps_up_and_down() -> None:
    tool = furnace(recipe_change=5)
    at_700 = OxidationStep(temperature_c=700, oxide_thickness_um=0.95)
    at_800 = OxidationStep(temperature_c=800, oxide_thickness_um=0.95)
    assert tool.changeover_min(None, at_700) == 0  # first roll
    assert tool.changeover_min(at_700, at_700) == 0  # same step
    assert tool.changeover_min(at_700, at_800) == pytest.approx(5 + 100 / 5)  # up 5 °C/min: 25
    assert tool.changeover_min(at_800, at_700) == pytest.approx(5 + 100 / 3)  # down 3 °C/min: 38.3
    # another thickness at the same temperature: only the fixed recipe change
    thinner = OxidationStep(temperature_c=700, oxide_thickness_um=0.5)
    assert tool.changeover_min(at_700, thinner) == 5


def test_oxidation_seed_example_is_inside_every_window() -> None:
    assert furnace().check(OxidationStep(temperature_c=700, oxide_thickness_um=0.95)) == []


def test_oxidation_window_messages() -> None:
    tool = furnace()
    cold = tool.check(OxidationStep(temperature_c=250, oxide_thickness_um=0.95))
    assert (
        "oxidation temperature 250 °C is outside 300–1000 °C (000: ≥ 300 °C; upper bound assumed)"
        in messages(cold)
    )
    thick = tool.check(OxidationStep(temperature_c=700, oxide_thickness_um=1.5))
    assert (
        "oxide thickness 1.5 µm is outside 0.01–1.2 µm "
        "(000, claim 1: ≥ 0.01 µm; 0.7–1.2 µm in anodes 1–10)" in messages(thick)
    )
    assert all(f.severity == "error" for f in cold + thick)
    assert {f.path for f in cold} >= {"temperature_c"}


def test_oxidation_dwell_window() -> None:
    # calibrated 0.5 µm in 30 min at 700 °C: 1.1 µm needs 30 × (1.1/0.5)² = 30 × 4.84 = 145.2 min
    tool = furnace(calibration_thickness_um=0.5)
    long = tool.check(OxidationStep(temperature_c=700, oxide_thickness_um=1.1))
    assert messages(long) == [
        "oxidation dwell 145.2 min is outside 1–120 min (000: hold about 1 min to 2 h)"
    ]
    # 0.05 µm needs 30 × (0.05/0.5)² = 0.3 min
    short = tool.check(OxidationStep(temperature_c=700, oxide_thickness_um=0.05))
    assert messages(short) == [
        "oxidation dwell 0.3 min is outside 1–120 min (000: hold about 1 min to 2 h)"
    ]
    # 1.0 µm needs 30 × 4 = 120 min: on the edge, inside
    assert tool.check(OxidationStep(temperature_c=700, oxide_thickness_um=1.0)) == []


# ================================================================================== PECVD
def test_pecvd_speed_is_dynamic_rate_times_sources_over_thickness() -> None:
    # 3000 nm·m/min × 4 sources / 4000 nm = 3.0 m/min (domain.md)
    assert coater().web_speed_m_min(PecvdStep(si_thickness_um=4)) == pytest.approx(3.0)
    # one source: 3000 / 4000 = 0.75 m/min per source (domain.md)
    assert coater(sources=1).web_speed_m_min(PecvdStep(si_thickness_um=4)) == pytest.approx(0.75)
    # anode 11: 3000 × 6 / 14000 nm = 1.286 m/min
    six = coater(sources=6).web_speed_m_min(PecvdStep(si_thickness_um=14, doped=True))
    assert six == pytest.approx(18 / 14)


def test_pecvd_silicon_zone_limits_when_the_cap_is_quicker() -> None:
    # Si 3.0 m/min; SiNx 15 nm from one 400 nm·m/min source: 400 / 15 = 26.7 m/min
    step = PecvdStep(si_thickness_um=4, cap=CapLayer(material="SiNx", thickness_nm=15))
    assert coater(cap_sources=1).web_speed_m_min(step) == pytest.approx(3.0)


def test_pecvd_cap_zone_limits_when_slower() -> None:
    # SiO2 120 nm from one 100 nm·m/min cap source: 100 / 120 = 0.833 m/min < 3.0 m/min Si
    step = PecvdStep(si_thickness_um=4, cap=CapLayer(material="SiO2", thickness_nm=120))
    tool = coater(cap_sources=1, cap_dynamic_rate_nm_m_min=100)
    assert tool.web_speed_m_min(step) == pytest.approx(100 / 120)
    # two cap sources: 2 × 100 / 120 = 1.667 m/min, still the limit
    assert coater(cap_sources=2, cap_dynamic_rate_nm_m_min=100).web_speed_m_min(step) == (
        pytest.approx(200 / 120)
    )


def test_pecvd_speed_capped_by_top_speed() -> None:
    # 0.5 µm: 3000 × 4 / 500 = 24 m/min > 20 m/min
    assert coater().web_speed_m_min(PecvdStep(si_thickness_um=0.5)) == 20.0


@PROPERTY
@given(
    rate=st.floats(min_value=10, max_value=5000),
    sources=st.integers(min_value=1, max_value=16),
    thickness=st.floats(min_value=0.5, max_value=50),
    top=st.floats(min_value=0.1, max_value=100),
)
def test_pecvd_speed_property(rate: float, sources: int, thickness: float, top: float) -> None:
    tool = coater(dynamic_rate_nm_m_min=rate, sources=sources, max_speed_m_min=top)
    speed = tool.web_speed_m_min(PecvdStep(si_thickness_um=thickness))
    assert speed <= top
    assert speed == pytest.approx(min(top, rate * sources / (thickness * 1000)))


def test_pecvd_si_loading_from_thickness_and_density() -> None:
    # anode 1: 4 µm × 1e-4 cm/µm × 2.0 g/cm³ = 8e-4 g/cm² = 0.8 mg/cm²
    assert PecvdStep(si_thickness_um=4).si_loading_mg_cm2 == pytest.approx(0.8)
    # anode 11: 14e-4 cm × 1.7 g/cm³ = 2.38 mg/cm²
    assert PecvdStep(si_thickness_um=14, density_g_cm3=1.7).si_loading_mg_cm2 == pytest.approx(2.38)


def test_pecvd_wall_deposit_per_metre() -> None:
    # each metre coats 4 µm of Si + 0.015 µm SiNx: 4.015 µm·m per m on the walls
    step = PecvdStep(si_thickness_um=4, cap=CapLayer(material="SiNx", thickness_nm=15))
    assert coater(cap_sources=1).consumption_per_m(step) == {
        "wall_deposit_um_m": pytest.approx(4.015)
    }
    assert coater().consumption_per_m(PecvdStep(si_thickness_um=14)) == {
        "wall_deposit_um_m": pytest.approx(14.0)
    }
    assert set(PecvdCoater.usage_counters) == {"wall_deposit_um_m"}


def test_pecvd_changeover_temperature_ramp_and_gas_change() -> None:
    tool = coater(recipe_change=10)  # ramp 5 °C/min, gas change 30 min (defaults)
    undoped_300 = PecvdStep(si_thickness_um=4)
    undoped_350 = PecvdStep(si_thickness_um=4, substrate_temperature_c=350)
    doped_300 = PecvdStep(si_thickness_um=4, doped=True)
    doped_250 = PecvdStep(si_thickness_um=14, substrate_temperature_c=250, doped=True)
    assert tool.changeover_min(None, doped_300) == 0
    assert tool.changeover_min(undoped_300, PecvdStep(si_thickness_um=4, label="again")) == 0
    assert tool.changeover_min(undoped_300, undoped_350) == pytest.approx(10 + 50 / 5)  # 20
    assert tool.changeover_min(undoped_350, undoped_300) == pytest.approx(10 + 50 / 5)  # 20
    assert tool.changeover_min(undoped_300, doped_300) == pytest.approx(10 + 30)  # 40
    assert tool.changeover_min(doped_300, undoped_300) == pytest.approx(10 + 30)
    # 350 °C undoped → 250 °C doped: 10 + 100/5 + 30 = 60 min
    assert tool.changeover_min(undoped_350, doped_250) == pytest.approx(60)
    # only the thickness changes: the fixed recipe change alone
    assert tool.changeover_min(undoped_300, PecvdStep(si_thickness_um=6)) == 10


def test_pecvd_roll_time() -> None:
    # 900 m at 3.0 m/min = 300 min, + 15 + 45 + 20 + 10 = 90 min overhead = 390 min
    assert coater().roll_time_min(PecvdStep(si_thickness_um=4), 900) == pytest.approx(390)


def test_pecvd_window_messages() -> None:
    tool = coater()
    found = messages(
        tool.check(PecvdStep(si_thickness_um=60, density_g_cm3=1.0, substrate_temperature_c=650))
    )
    assert found == [
        "silicon thickness 60 µm is outside 0.5–50 µm (000: porous silicon 0.5–50 µm)",
        "silicon density 1 g/cm³ is outside 1.1–2.2 g/cm³ (000: density 1.1–2.2 g/cm³)",
        "PECVD substrate temperature 650 °C is outside 100–600 °C (000: substrate 100–600 °C)",
    ]
    assert tool.check(PecvdStep(si_thickness_um=4)) == []


def test_pecvd_cap_without_cap_sources_is_an_error() -> None:
    step = PecvdStep(si_thickness_um=4, cap=CapLayer(material="SiNx", thickness_nm=15))
    (finding,) = coater(cap_sources=0).check(step)
    assert finding.severity == "error"
    assert finding.path == "cap"
    assert "cap_sources: 0" in finding.message
    assert coater(cap_sources=1).check(step) == []


@pytest.mark.parametrize(
    ("material", "thickness", "message"),
    [
        ("SiNx", 60, "SiNx cap thickness 60 nm is outside 2–50 nm (000: SiNx 2–50 nm)"),
        ("SiO2", 5, "SiO2 cap thickness 5 nm is outside 10–150 nm (000: SiO2 10–150 nm)"),
    ],
)
def test_pecvd_cap_thickness_windows(material: str, thickness: float, message: str) -> None:
    step = PecvdStep(si_thickness_um=4, cap=CapLayer(material=material, thickness_nm=thickness))
    assert messages(coater(cap_sources=1).check(step)) == [message]


@pytest.mark.parametrize(("material", "thickness"), [("SiNx", 15), ("SiNx", 30), ("SiO2", 60)])
def test_pecvd_seed_caps_are_inside_the_windows(material: str, thickness: float) -> None:
    # 000: SiNx 15 nm and 30 nm, SiO2 60 nm and 120 nm in the examples
    step = PecvdStep(si_thickness_um=4, cap=CapLayer(material=material, thickness_nm=thickness))
    assert coater(cap_sources=1).check(step) == []


# ==================================================================================== ALD
def test_ald_passes_and_speed() -> None:
    tool = ald_tool()  # 8 heads at 40 m/min, 0.1 nm per cycle
    # 6 nm / 0.1 = 60 cycles (not 61 from float error); ceil(60 / 8) = 8 passes; 40 / 8 = 5 m/min
    six = AldStep(material="TiO2", thickness_nm=6)
    assert tool.cycles(six) == 60
    assert tool.passes(six) == 8
    assert tool.web_speed_m_min(six) == pytest.approx(5.0)
    # 0.8 nm: 8 cycles, one pass at 40 m/min
    assert tool.web_speed_m_min(AldStep(material="TiO2", thickness_nm=0.8)) == pytest.approx(40)
    # 0.81 nm: ceil(8.1) = 9 cycles, 2 passes: 20 m/min
    assert tool.web_speed_m_min(AldStep(material="TiO2", thickness_nm=0.81)) == pytest.approx(20)
    # anode 11 oxide, 50 nm with 20 heads: 500 cycles, 25 passes, 40 / 25 = 1.6 m/min
    oxide = AldStep(material="TiO2", thickness_nm=50, role="oxide")
    assert ald_tool(heads=20).web_speed_m_min(oxide) == pytest.approx(1.6)


def test_ald_speed_is_capped_by_top_speed() -> None:
    # one pass at the 40 m/min head speed, but the transport tops out at 25 m/min
    step = AldStep(material="TiO2", thickness_nm=0.5)
    assert ald_tool(max_speed_m_min=25).web_speed_m_min(step) == 25.0


def test_ald_top_speed_caps_each_pass() -> None:
    # 6 nm = 60 cycles over 30 heads = 2 passes. Each pass may run at 60 m/min for the chemistry
    # but the transport only does 20 m/min, so each pass takes L/20 and the roll L/10:
    # effective speed = min(60, 20) / 2 = 10 m/min (not min(20, 60/2) = 20 m/min)
    tool = ald_tool(heads=30, head_speed_m_min=60, max_speed_m_min=20)
    assert tool.web_speed_m_min(AldStep(material="TiO2", thickness_nm=6)) == pytest.approx(10)


@PROPERTY
@given(
    cycles=st.integers(min_value=1, max_value=3000),
    heads=st.integers(min_value=1, max_value=200),
    head_speed=st.floats(min_value=0.1, max_value=100),
)
def test_ald_passes_formula(cycles: int, heads: int, head_speed: float) -> None:
    tool = ald_tool(heads=heads, head_speed_m_min=head_speed, max_speed_m_min=1000)
    exact = AldStep(material="LiPON", thickness_nm=cycles / 10, role="ion_conductor")
    assert tool.cycles(exact) == cycles  # n × 0.1 nm is n cycles, float noise aside
    assert tool.passes(exact) == math.ceil(cycles / heads)
    assert tool.web_speed_m_min(exact) == pytest.approx(head_speed / math.ceil(cycles / heads))
    # half a cycle more needs a whole extra cycle
    over = AldStep(material="LiPON", thickness_nm=cycles / 10 + 0.05, role="ion_conductor")
    assert tool.cycles(over) == cycles + 1


@PROPERTY
@given(
    thin=st.floats(min_value=0.1, max_value=5000),
    extra=st.floats(min_value=0, max_value=5000),
    heads=st.integers(min_value=1, max_value=50),
    top=st.floats(min_value=1, max_value=100),
)
def test_ald_speed_non_increasing_in_thickness(
    thin: float, extra: float, heads: int, top: float
) -> None:
    tool = ald_tool(heads=heads, max_speed_m_min=top)
    a = tool.web_speed_m_min(AldStep(material="alucone", thickness_nm=thin, role="polymer"))
    b = tool.web_speed_m_min(AldStep(material="alucone", thickness_nm=thin + extra, role="polymer"))
    assert b <= a <= top


def test_ald_precursor_per_metre() -> None:
    # 60 cycles × 1.5 m width × 0.002 g/(m²·cycle) = 0.18 g per metre of web
    step = AldStep(material="TiO2", thickness_nm=6)
    assert ald_tool().consumption_per_m(step) == {"precursor_g": pytest.approx(0.18)}


def test_ald_changeover_on_material_change() -> None:
    tool = ald_tool(recipe_change=5)  # precursor change 60 min (default)
    tio2 = AldStep(material="TiO2", thickness_nm=6)
    assert tool.changeover_min(None, tio2) == 0
    assert tool.changeover_min(tio2, AldStep(material="TiO2", thickness_nm=6)) == 0
    assert tool.changeover_min(tio2, AldStep(material="Al2O3", thickness_nm=6)) == 5 + 60
    # same precursor, another thickness: only the fixed recipe change
    assert tool.changeover_min(tio2, AldStep(material="TiO2", thickness_nm=10)) == 5


def test_ald_roll_time() -> None:
    # 6 nm at 5 m/min: 1000 m in 200 min; + load 15 + unload 10 = 225 min
    assert ald_tool().roll_time_min(AldStep(material="TiO2", thickness_nm=6), 1000) == (
        pytest.approx(225)
    )


def test_ald_window_messages() -> None:
    tool = ald_tool()
    assert messages(tool.check(AldStep(material="TiO2", thickness_nm=25))) == [
        "TiO2 thickness 25 nm is outside 2–20 nm (000: TiO2 2–20 nm)"
    ]
    assert messages(tool.check(AldStep(material="Al2O3", thickness_nm=12))) == [
        "Al2O3 thickness 12 nm is outside 4–10 nm (000: Al2O3 about 4–10 nm)"
    ]
    assert messages(
        tool.check(AldStep(material="LiPON", thickness_nm=300, role="ion_conductor"))
    ) == [
        "LiPON thickness 300 nm is outside 0.5–200 nm "
        "(000: LiPON, Li phosphate, LiAlO, LLTO 0.5–200 nm)"
    ]
    # the seed examples: TiO2 6 and 10 nm supplemental, TiO2 50 nm oxide on Cu, Al2O3 4-10 nm
    for ok in (
        AldStep(material="TiO2", thickness_nm=6),
        AldStep(material="TiO2", thickness_nm=10),
        AldStep(material="TiO2", thickness_nm=50, role="oxide"),
        AldStep(material="Al2O3", thickness_nm=4),
    ):
        assert tool.check(ok) == []


def test_ald_material_in_an_unknown_role_is_an_error() -> None:
    (finding,) = ald_tool().check(AldStep(material="Al2O3", thickness_nm=6, role="ion_conductor"))
    assert finding.severity == "error"
    assert finding.path == "role"
    assert "Al2O3" in finding.message
    assert "oxide, supplemental" in finding.message


# ====================================================================== lithium evaporation
def li_thickness_by_hand(fraction: float, loading_mg_cm2: float, si_mah_g: float = 3600) -> float:
    # Li mg/cm² = f × loading × C_Si / 3860 mAh/g; ÷ 534 mg/cm³ → cm; × 1e4 → µm
    return fraction * loading_mg_cm2 * si_mah_g / 3860 / 534 * 1e4


def test_lithium_thickness_from_si_loading_and_fraction() -> None:
    # 0.4 × 0.8 mg/cm² × 3600 / 3860 = 0.29845 mg/cm² Li; / 0.534 g/cm³ = 5.589e-4 cm = 5.59 µm
    step = LithiumStep(prelithiation_fraction=0.4, si_loading_mg_cm2=0.8)
    assert step.thickness_um() == pytest.approx(5.589, abs=1e-3)
    # rated at 1200 mAh/g instead: a third of that, 1.863 µm
    rated = LithiumStep(prelithiation_fraction=0.4, si_loading_mg_cm2=0.8, si_capacity_mah_g=1200)
    assert rated.thickness_um() == pytest.approx(5.589 / 3, abs=1e-3)
    # given directly
    assert LithiumStep(li_thickness_um=3).thickness_um() == 3


@PROPERTY
@given(
    fraction=st.floats(min_value=0.01, max_value=1),
    loading=st.floats(min_value=0.05, max_value=50),
)
def test_lithium_thickness_linear_in_fraction(fraction: float, loading: float) -> None:
    step = LithiumStep(prelithiation_fraction=fraction, si_loading_mg_cm2=loading)
    full = LithiumStep(prelithiation_fraction=1.0, si_loading_mg_cm2=loading)
    assert step.thickness_um() == pytest.approx(fraction * full.thickness_um())
    assert step.thickness_um() == pytest.approx(li_thickness_by_hand(fraction, loading))


def test_lithium_step_needs_exactly_one_way_to_its_thickness() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        LithiumStep()
    with pytest.raises(ValidationError, match="exactly one"):
        LithiumStep(li_thickness_um=5, prelithiation_fraction=0.4, si_loading_mg_cm2=0.8)
    with pytest.raises(ValueError, match="si_loading_mg_cm2"):
        LithiumStep(prelithiation_fraction=0.4).thickness_um()


def test_lithium_speed_is_rate_times_sources_over_thickness() -> None:
    # 30 µm·m/min × 2 sources / 6 µm = 10 m/min
    tool = evaporator(sources=2)
    assert tool.web_speed_m_min(LithiumStep(li_thickness_um=6)) == pytest.approx(10)
    # prelithiation 40 % of 0.8 mg/cm²: 60 / 5.589 µm = 10.74 m/min
    step = LithiumStep(prelithiation_fraction=0.4, si_loading_mg_cm2=0.8)
    assert tool.web_speed_m_min(step) == pytest.approx(60 / li_thickness_by_hand(0.4, 0.8))
    # capped: 1 µm would run at 60 m/min, top speed 50
    assert tool.web_speed_m_min(LithiumStep(li_thickness_um=1)) == 50.0


def test_lithium_passes_from_the_per_pass_limit() -> None:
    tool = evaporator()  # 20 µm per pass
    assert tool.passes(LithiumStep(li_thickness_um=20, role="metal_anode")) == 1
    assert tool.passes(LithiumStep(li_thickness_um=20.5, role="metal_anode")) == 2
    assert tool.passes(LithiumStep(li_thickness_um=60, role="metal_anode")) == 3


def test_lithium_top_speed_caps_each_pass() -> None:
    # 40 µm at 20 µm per pass = 2 passes. 100 µm·m/min / 20 µm = 5 m/min per pass, but the
    # transport tops out at 3 m/min: each pass takes L/3, the roll 2L/3, effective 1.5 m/min
    # (not min(3, 100/40) = 2.5 m/min)
    tool = evaporator(dynamic_rate_um_m_min=100, max_speed_m_min=3)
    step = LithiumStep(li_thickness_um=40, role="metal_anode")
    assert tool.web_speed_m_min(step) == pytest.approx(1.5)


def test_lithium_kg_per_metre_includes_utilisation() -> None:
    # 5 µm × 1.2 m × 1 m = 6e-6 m³ × 534 kg/m³ = 3.204e-3 kg on the web; / 0.6 = 5.34e-3 kg
    step = LithiumStep(li_thickness_um=5)
    assert evaporator().consumption_per_m(step) == {"lithium_kg": pytest.approx(5.34e-3)}
    # all of it lands on the web at utilisation 1: 3.204e-3 kg
    assert evaporator(material_utilisation=1).consumption_per_m(step) == {
        "lithium_kg": pytest.approx(3.204e-3)
    }


def test_lithium_roll_time() -> None:
    # 6 µm at 30 µm·m/min: 5 m/min; 1500 m in 300 min; + 15 + 40 + 20 + 10 = 385 min
    assert evaporator().roll_time_min(LithiumStep(li_thickness_um=6), 1500) == pytest.approx(385)


def test_lithium_changeover_has_only_the_recipe_change() -> None:
    tool = evaporator(recipe_change=12)
    five = LithiumStep(li_thickness_um=5)
    assert tool.changeover_min(None, five) == 0
    assert tool.changeover_min(five, LithiumStep(li_thickness_um=5)) == 0
    assert tool.changeover_min(five, LithiumStep(li_thickness_um=8)) == 12


def test_lithium_windows() -> None:
    tool = evaporator()
    assert tool.check(LithiumStep(prelithiation_fraction=0.4, si_loading_mg_cm2=0.8)) == []
    low = tool.check(LithiumStep(prelithiation_fraction=0.005, si_loading_mg_cm2=0.8))
    assert messages(low) == [
        "prelithiation lithium 0.5 % is outside 1–100 % (000: 1–100 % of the layer's capacity)"
    ]
    pre = tool.check(
        LithiumStep(role="pre_silicon", prelithiation_fraction=0.6, si_loading_mg_cm2=0.8)
    )
    assert messages(pre) == [
        "pre-silicon lithium 60 % is outside 2–50 % (000: 2–50 % of the storage layer's capacity)"
    ]
    metal = tool.check(LithiumStep(role="metal_anode", li_thickness_um=1))
    assert messages(metal) == [
        "lithium thickness 1 µm is outside 2–100 µm (001: lithium metal layers 2–100 µm)"
    ]
    assert tool.check(LithiumStep(role="metal_anode", li_thickness_um=5)) == []  # 002: 2-5 µm


def test_lithium_fraction_without_loading_is_an_error() -> None:
    (finding,) = evaporator().check(LithiumStep(prelithiation_fraction=0.4))
    assert finding.severity == "error"
    assert finding.path == "si_loading_mg_cm2"


# ================================================================================= anneal
def test_anneal_speed_is_heated_length_over_dwell() -> None:
    # 12 m / 10 min = 1.2 m/min; 12 m / 120 min ("2h") = 0.1 m/min
    assert oven().web_speed_m_min(AnnealStep(temperature_c=475, dwell="10min")) == (
        pytest.approx(1.2)
    )
    assert oven().web_speed_m_min(AnnealStep(temperature_c=475, dwell="2h")) == pytest.approx(0.1)
    # 0.1 min: 120 m/min, capped at 20
    assert oven().web_speed_m_min(AnnealStep(temperature_c=475, dwell=0.1)) == 20.0


@PROPERTY
@given(
    length=st.floats(min_value=0.5, max_value=500),
    dwell=st.floats(min_value=0.1, max_value=120),
    top=st.floats(min_value=0.1, max_value=1000),
)
def test_anneal_speed_property(length: float, dwell: float, top: float) -> None:
    tool = oven(heated_length_m=length, max_speed_m_min=top)
    speed = tool.web_speed_m_min(AnnealStep(temperature_c=475, dwell=dwell))
    assert speed <= top
    assert speed == pytest.approx(min(top, length / dwell))


def test_anneal_changeover_ramps_and_atmosphere() -> None:
    tool = oven(recipe_change=2)  # up 10 °C/min, down 5 °C/min, atmosphere change 30 min
    at_475 = AnnealStep(temperature_c=475, dwell=10)
    at_575 = AnnealStep(temperature_c=575, dwell=10)
    assert tool.changeover_min(None, at_575) == 0
    assert tool.changeover_min(at_475, AnnealStep(temperature_c=475, dwell="10min")) == 0
    assert tool.changeover_min(at_475, at_575) == pytest.approx(2 + 100 / 10)  # 12
    assert tool.changeover_min(at_575, at_475) == pytest.approx(2 + 100 / 5)  # 22
    in_n2 = AnnealStep(temperature_c=475, dwell=10, atmosphere="nitrogen")
    assert tool.changeover_min(at_475, in_n2) == pytest.approx(2 + 30)
    # only the dwell changes: the fixed recipe change
    assert tool.changeover_min(at_475, AnnealStep(temperature_c=475, dwell=20)) == 2


def test_anneal_roll_time() -> None:
    # 1200 m at 1.2 m/min = 1000 min; + load 15 + unload 10 = 1025 min
    assert oven().roll_time_min(AnnealStep(temperature_c=475, dwell=10), 1200) == (
        pytest.approx(1025)
    )


def test_anneal_window_message_names_value_window_and_source() -> None:
    found = oven().check(AnnealStep(temperature_c=650, dwell=10))
    assert found == [
        Problem(
            "temperature_c",
            "anneal temperature 650 °C is outside 100–600 °C (000, claim 1)",
            "error",
        )
    ]


def test_anneal_windows() -> None:
    tool = oven()
    for ok in (475, 575, 100, 600):  # anode 11 at 475 and 575 °C; the window's edges
        assert tool.check(AnnealStep(temperature_c=ok, dwell=10)) == []
    assert messages(tool.check(AnnealStep(temperature_c=475, dwell="150min"))) == [
        "anneal dwell 150 min is outside 0.1–120 min (000, claim 1)"
    ]
    assert messages(tool.check(AnnealStep(temperature_c=475, dwell=10, o2_torr=2))) == [
        "anneal O2 partial pressure 2 Torr is outside 0–1 Torr (000, claim 2: below 1 Torr)"
    ]
    assert messages(tool.check(AnnealStep(temperature_c=475, dwell=10, h2o_torr=5))) == [
        "anneal H2O partial pressure 5 Torr is outside 0–1 Torr (000, claim 2: below 1 Torr)"
    ]


def test_prelithiated_anneal_window_is_50_to_350c() -> None:
    tool = oven()
    hot = tool.check(AnnealStep(temperature_c=400, dwell=10, prelithiated=True))
    assert messages(hot) == [
        "anneal temperature 400 °C is outside 50–350 °C (000: during or after prelithiation)"
    ]
    # 80 °C is fine for a prelithiated web but below claim 1's 100 °C for a plain one
    assert tool.check(AnnealStep(temperature_c=80, dwell=10, prelithiated=True)) == []
    assert messages(tool.check(AnnealStep(temperature_c=80, dwell=10))) == [
        "anneal temperature 80 °C is outside 100–600 °C (000, claim 1)"
    ]


# =============================================================================== slitting
def test_slitting_speed_is_the_line_speed_capped() -> None:
    step = SlittingStep(lanes=10, lane_width_mm=140)
    assert slitter().web_speed_m_min(step) == 50.0
    assert slitter(max_speed_m_min=30).web_speed_m_min(step) == 30.0


def test_slitting_roll_time() -> None:
    # 1500 m at 50 m/min = 30 min; + load 15 + unload 10 = 55 min
    assert slitter().roll_time_min(SlittingStep(lanes=10, lane_width_mm=140), 1500) == (
        pytest.approx(55)
    )


def test_slitting_knife_change() -> None:
    tool = slitter()  # knife change 20 min, recipe change 0
    ten = SlittingStep(lanes=10, lane_width_mm=140)
    assert tool.changeover_min(None, ten) == 0
    assert tool.changeover_min(ten, SlittingStep(lanes=10, lane_width_mm=140, label="x")) == 0
    assert tool.changeover_min(ten, SlittingStep(lanes=8, lane_width_mm=180)) == 20
    assert slitter(recipe_change=5).changeover_min(
        ten, SlittingStep(lanes=9, lane_width_mm=140)
    ) == (5 + 20)


def test_slitting_layout_wider_than_the_web_is_an_error() -> None:
    tool = slitter()  # 1500 mm
    # 10 × 148 mm + 2 × 10 mm = 1500 mm: fits exactly
    assert tool.check(SlittingStep(lanes=10, lane_width_mm=148)) == []
    # 10 × 150 mm + 2 × 10 mm = 1520 mm > 1500 mm
    (finding,) = tool.check(SlittingStep(lanes=10, lane_width_mm=150))
    assert finding.severity == "error"
    assert finding.path == "lanes"
    assert finding.message == (
        "10 lanes × 150 mm + 2 × 10 mm trim = 1520 mm exceeds the slitter's 1500 mm"
    )


# ================================================================================ generic
def test_generic_station_by_speed() -> None:
    tool = GenericStation(speed_m_min=8, load_thread=5, unload=5)
    # 400 m at 8 m/min = 50 min + 10 min overhead
    assert tool.web_speed_m_min(GenericStep()) == 8
    assert tool.roll_time_min(GenericStep(), 400) == pytest.approx(60)
    # a product may run at its own speed: 400 / 4 = 100 min + 10
    assert tool.roll_time_min(GenericStep(speed_m_min=4), 400) == pytest.approx(110)


def test_generic_station_by_process_time() -> None:
    tool = GenericStation(process_time=Exponential(mean="2h"))
    assert tool.roll_process_time(GenericStep(), 1000) == Exponential(mean=120)
    assert tool.roll_time_min(GenericStep(), 1000) == pytest.approx(120)  # no overhead by default
    # a step's own distribution overrides the station's
    step = GenericStep(process_time=Fixed(value="45min"))
    assert tool.roll_time_min(step, 1000) == pytest.approx(45)


def test_generic_station_needs_speed_or_time() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        GenericStation()
    with pytest.raises(ValidationError, match="exactly one"):
        GenericStation(speed_m_min=5, process_time=Fixed(value=10))


# ====================================================================== shared behaviour
def all_tools_and_steps() -> list[tuple[object, object]]:
    return [
        (furnace(), OxidationStep(temperature_c=700, oxide_thickness_um=0.95)),
        (coater(), PecvdStep(si_thickness_um=4)),
        (ald_tool(), AldStep(material="TiO2", thickness_nm=6)),
        (evaporator(), LithiumStep(li_thickness_um=5)),
        (oven(), AnnealStep(temperature_c=475, dwell=10)),
        (slitter(), SlittingStep(lanes=10, lane_width_mm=140)),
    ]


@pytest.mark.parametrize(("tool", "step"), all_tools_and_steps())
def test_default_defect_rates_apply_without_override(tool, step) -> None:
    rates = tool.defect_rates(step)
    assert rates == type(tool).default_defect_rates_per_m2
    assert rates  # every station type lays some defects
    assert all(rate > 0 for rate in rates.values())


def test_defect_types_tied_to_the_process() -> None:
    # pinholes and particles in vacuum deposition; wrinkles from heat (domain.md)
    assert {DefectType.PINHOLE, DefectType.PARTICLE} <= set(PecvdCoater.default_defect_rates_per_m2)
    assert DefectType.PARTICLE in LithiumEvaporator.default_defect_rates_per_m2
    assert DefectType.WRINKLE in AnnealOven.default_defect_rates_per_m2


def test_defect_rate_override_replaces_only_the_given_types() -> None:
    tool = coater(defect_rates_per_m2={"particle": 0.2, "web_break": 1e-5})
    rates = tool.defect_rates(PecvdStep(si_thickness_um=4))
    assert rates[DefectType.PARTICLE] == 0.2
    assert rates[DefectType.WEB_BREAK] == 1e-5
    assert rates[DefectType.PINHOLE] == PecvdCoater.default_defect_rates_per_m2[DefectType.PINHOLE]
    # the type's defaults are untouched for other tools
    assert coater().defect_rates(PecvdStep(si_thickness_um=4))[DefectType.PARTICLE] != 0.2


def test_unknown_defect_type_is_rejected() -> None:
    with pytest.raises(ValidationError):
        coater(defect_rates_per_m2={"gremlins": 0.1})


@pytest.mark.parametrize(("tool", "step"), all_tools_and_steps())
def test_roll_time_is_overhead_plus_length_over_speed(tool, step) -> None:
    speed = tool.web_speed_m_min(step)
    overhead = tool.roll_overhead(step).total
    assert tool.roll_time_min(step, 1000) == pytest.approx(overhead + 1000 / speed)
    assert tool.roll_time_min(step, 2000) - tool.roll_time_min(step, 1000) == pytest.approx(
        1000 / speed
    )


@PROPERTY
@given(top=st.floats(min_value=0.01, max_value=1000))
def test_web_speed_never_exceeds_top_speed(top: float) -> None:
    for tool, step in all_tools_and_steps():
        capped = tool.model_copy(update={"max_speed_m_min": top})
        speed = capped.web_speed_m_min(step)
        assert 0 < speed <= top
        # each pass runs at the process speed capped by the top speed; the passes share the roll
        expected = min(top, capped.process_speed_m_min(step)) / capped.passes(step)
        assert speed == pytest.approx(expected)


# ============================================================================ recipe level
def sinx_pecvd() -> PecvdStep:
    return PecvdStep(si_thickness_um=4, cap=CapLayer(material="SiNx", thickness_nm=15))


def warnings_about(findings: list[tuple[int, Problem]], text: str) -> list[int]:
    assert all(f.severity == "warning" for _, f in findings)
    return [index for index, f in findings if text in f.message]


def test_family_recipes_from_the_seed_raise_no_warnings() -> None:
    anode_3 = [
        OxidationStep(temperature_c=700, oxide_thickness_um=0.95),
        sinx_pecvd(),
        AldStep(material="TiO2", thickness_nm=6),
        AnnealStep(temperature_c=450, dwell=10),
        SlittingStep(lanes=8, lane_width_mm=150),
    ]
    anode_11 = [
        AldStep(material="TiO2", thickness_nm=50, role="oxide"),
        PecvdStep(si_thickness_um=14, density_g_cm3=1.7, doped=True),
        AnnealStep(temperature_c=475, dwell=10),
    ]
    anode_6 = [  # TiO2 10 nm then Al2O3 4 nm: the good order (000, anode 6)
        PecvdStep(si_thickness_um=4),
        AldStep(material="TiO2", thickness_nm=10),
        AldStep(material="Al2O3", thickness_nm=4),
    ]
    assert check_recipe(anode_3) == []
    assert check_recipe(anode_11) == []
    assert check_recipe(anode_6) == []


def test_al2o3_over_sinx_is_warned_anode_5() -> None:
    steps = [sinx_pecvd(), AldStep(material="Al2O3", thickness_nm=6)]
    assert warnings_about(check_recipe(steps), "anode 5") == [1]
    # TiO2 over SiNx is fine (anode 3)
    assert check_recipe([sinx_pecvd(), AldStep(material="TiO2", thickness_nm=6)]) == []


def test_al2o3_over_sinx_is_warned_when_an_anneal_lies_between() -> None:
    # the anneal adds no layer: the Al2O3 still grows on the SiNx (000, anode 5)
    steps = [
        sinx_pecvd(),
        AnnealStep(temperature_c=450, dwell=10),
        AldStep(material="Al2O3", thickness_nm=6),
    ]
    assert warnings_about(check_recipe(steps), "anode 5") == [2]


def test_al2o3_first_of_two_metal_oxides_is_warned_anode_7() -> None:
    steps = [
        PecvdStep(si_thickness_um=4),
        AldStep(material="Al2O3", thickness_nm=10),
        AldStep(material="TiO2", thickness_nm=4),
    ]
    assert warnings_about(check_recipe(steps), "anode 7") == [1]


def test_al2o3_collector_oxide_under_the_silicon_is_not_the_anode_7_sequence() -> None:
    # anode 7 is about two supplemental layers over the silicon, Al2O3 first (000: "when several
    # metal-oxide supplemental layers are used, Al2O3 is preferably not the first"). An Al2O3
    # current-collector oxide under the silicon with a TiO2 supplemental on top is not that.
    steps = [
        AldStep(material="Al2O3", thickness_nm=8, role="oxide"),
        PecvdStep(si_thickness_um=4),
        AldStep(material="TiO2", thickness_nm=6),
    ]
    assert warnings_about(check_recipe(steps), "anode 7") == []


def test_prelithiated_silicon_without_a_supplemental_layer_is_warned() -> None:
    bare = [PecvdStep(si_thickness_um=4), LithiumStep(prelithiation_fraction=0.4)]
    assert warnings_about(check_recipe(bare), "sticks to rollers") == [1]
    # a cap before it, or a supplemental ALD layer straight after it, protects the web
    assert check_recipe([sinx_pecvd(), LithiumStep(prelithiation_fraction=0.4)]) == []
    after = [*bare, AldStep(material="TiO2", thickness_nm=6)]
    assert check_recipe(after) == []
    # lithium before the silicon, or a lithium-metal anode, is not prelithiated silicon
    assert check_recipe([LithiumStep(role="metal_anode", li_thickness_um=5)]) == []


def test_anneal_before_the_silicon_is_warned() -> None:
    steps = [AnnealStep(temperature_c=450, dwell=10), PecvdStep(si_thickness_um=4)]
    found = check_recipe(steps)
    assert warnings_about(found, "after the silicon") == [0]
    assert "(000, claim 1)" in found[0][1].message


def test_complete_recipe_fills_lithium_loading_from_the_pecvd_step() -> None:
    steps = [
        PecvdStep(si_thickness_um=4),  # 0.8 mg/cm²
        LithiumStep(prelithiation_fraction=0.4),
    ]
    completed = complete_recipe(steps)
    lithium = completed[1]
    assert isinstance(lithium, LithiumStep)
    assert lithium.si_loading_mg_cm2 == pytest.approx(0.8)
    assert lithium.thickness_um() == pytest.approx(5.589, abs=1e-3)
    assert evaporator().check(lithium) == []
    assert steps[1].si_loading_mg_cm2 is None  # the input is left as it was
    assert completed[0] is steps[0]


def test_complete_recipe_keeps_a_given_loading() -> None:
    steps = [
        PecvdStep(si_thickness_um=4),
        LithiumStep(prelithiation_fraction=0.4, si_loading_mg_cm2=1.0),
    ]
    assert complete_recipe(steps)[1].si_loading_mg_cm2 == 1.0


def test_complete_recipe_fills_pre_silicon_lithium_from_the_following_pecvd_step() -> None:
    # lithium before the silicon is 2-50 % of the storage layer's capacity (000): the storage
    # layer is the PECVD step after it. 10 % of 0.8 mg/cm² → 5.589 / 4 = 1.397 µm
    steps = [
        OxidationStep(temperature_c=700, oxide_thickness_um=0.95),
        LithiumStep(role="pre_silicon", prelithiation_fraction=0.1),
        PecvdStep(si_thickness_um=4),
    ]
    lithium = complete_recipe(steps)[1]
    assert isinstance(lithium, LithiumStep)
    assert lithium.si_loading_mg_cm2 == pytest.approx(0.8)
    assert lithium.thickness_um() == pytest.approx(li_thickness_by_hand(0.1, 0.8))
