"""EJUST-GYM-3 file names: round trip for every exercise and modality, one error per fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from repcoach.errors import DataError
from repcoach.io.ejust import (
    EXERCISES,
    MODALITIES,
    format_name,
    is_participant_name,
    parse_name,
    participant_slug,
)


@pytest.mark.parametrize("code", list(EXERCISES))
@pytest.mark.parametrize("modality", list(MODALITIES))
def test_round_trip_every_exercise_and_modality(code, modality):
    ext = "npz" if modality == "thermal" else "csv"
    name = format_name("ahmed-attia", code, modality, ext)
    parsed = parse_name(name)
    assert (parsed.participant, parsed.code, parsed.modality, parsed.ext) == (
        "ahmed-attia",
        code,
        modality,
        ext,
    )
    assert parsed.filename == name
    assert parsed.exercise == EXERCISES[code]
    # label works as well as the code, and relpath puts the file in its group folder
    assert format_name("ahmed-attia", EXERCISES[code], modality, ext) == name
    group = "imu" if "_" in modality else modality
    assert parsed.group == group
    assert parsed.relpath() == Path("ahmed-attia") / code / group / name


def test_known_example_and_multi_part_names():
    r = parse_name(Path("/data/x/ahmed-attiaJJ-frontal.csv"))
    assert (r.participant, r.exercise, r.modality) == ("ahmed-attia", "jumping_jacks", "frontal")
    r = parse_name("omar-el-sayedHK-lwrist_acc.csv")
    parts = (r.participant, r.code, r.modality, r.group)
    assert parts == ("omar-el-sayed", "HK", "lwrist_acc", "imu")


@pytest.mark.parametrize(
    ("name", "msg"),
    [
        ("ahmedattiaJJ-frontal.csv", "does not follow"),  # no hyphen in the person's name
        ("ahmed-attia-JJ-frontal.csv", "does not follow"),
        ("ahmed-attiajj-frontal.csv", "does not follow"),  # lower-case code
        ("Ahmed-AttiaJJ-frontal.csv", "does not follow"),
        ("ahmed-attiaJJ-frontal", "does not follow"),  # no extension
        ("ahmed-attiaXX-frontal.csv", "unknown exercise code 'XX'"),
        ("ahmed-attiaJJ-top.csv", "unknown modality 'top'"),
        ("ahmed-attiaJJ-lwrist_temp.csv", "unknown modality 'lwrist_temp'"),
        ("ahmed-attiaJJ-frontal.xlsx", "unknown file extension 'xlsx'"),
    ],
)
def test_bad_names_each_get_their_own_error(name, msg):
    with pytest.raises(DataError, match=msg) as e:
        parse_name(Path("/data") / name)
    assert e.value.path == Path("/data") / name
    assert name in str(e.value)


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (("ahmed-attia", "XX", "frontal"), "unknown exercise"),
        (("ahmed-attia", "JJ", "top"), "unknown modality"),
        (("ahmed-attia", "JJ", "frontal", "xlsx"), "unknown extension"),
        (("Ahmed", "JJ", "frontal"), "firstname-lastname"),
    ],
)
def test_format_name_rejects(args, msg):
    with pytest.raises(ValueError, match=msg):
        format_name(*args)


def test_participant_slug_and_check():
    assert participant_slug("Ahmed", "El-Attia") == "ahmed-elattia"
    assert is_participant_name("ahmed-attia")
    assert is_participant_name("omar-el-sayed")
    for bad in ("ahmed", "Ahmed-attia", "ahmed_attia", "ahmed-attia2", "-ahmed", ""):
        assert not is_participant_name(bad)


def test_parse_sidecar():
    from repcoach.io.ejust import parse_sidecar

    r = parse_sidecar("ahmed-attiaJJ-frontal.sync.json")
    assert (r.participant, r.code, r.modality, r.ext) == (
        "ahmed-attia",
        "JJ",
        "frontal",
        "sync.json",
    )
    assert r.relpath() == Path("ahmed-attia/JJ/frontal/ahmed-attiaJJ-frontal.sync.json")
    assert parse_sidecar("ahmed-attiaJJ-frontal.csv") is None
    assert parse_sidecar("ahmed-attiaXX-frontal.sync.json") is None
    with pytest.raises(DataError):  # not a recording either
        parse_name("ahmed-attiaJJ-frontal.sync.json")
