"""Capacity check numbers: 6 HBM2 stacks x 8192 MB = 48 GiB = 51.54 GB of DRAM on wafer.toml."""

from __future__ import annotations

import pytest

from mozartc.errors import CapacityError
from mozartc.hw import default_target_path, load_target
from mozartc.hw.capacity import check_capacity
from mozartc.hw.target import Target
from mozartc.optimizers import OPTIMIZERS

DRAM_BYTES = 6 * 8192 * 2**20  # 51_539_607_552


@pytest.fixture(scope="module")
def wafer() -> Target:
    return load_target(default_target_path())


def test_olmoe_fits_without_optimizer_state(wafer: Target) -> None:
    # 6.92e9 params x 2 B = 13.84 GB weights + 13.84 GB gradients = 27.68 GB <= 51.54 GB
    rep = check_capacity(6_920_000_000, 2, wafer, "sgd", "error")
    assert rep.fits and rep.available_bytes == DRAM_BYTES
    assert (rep.weights_bytes, rep.gradients_bytes, rep.optimizer_bytes) == (13_840_000_000,) * 2 + (0,)
    assert rep.required_bytes == 27_680_000_000
    assert "27.7 GB" in rep.message and "51.5 GB" in rep.message


def test_olmoe_adam_says_what_state_adds(wafer: Target) -> None:
    # Adam keeps 2 moments like the parameter: 2 x 2 B x 6.92e9 = 27.68 GB more -> 55.36 GB > 51.54 GB
    rep = check_capacity(6_920_000_000, 2, wafer, "adam", "warn")
    assert not rep.fits and rep.optimizer_bytes == 27_680_000_000
    assert "adam state 27.7 GB" in rep.message and "55.4 GB" in rep.message
    with pytest.raises(CapacityError, match=r"55\.4 GB.*51\.5 GB"):
        check_capacity(6_920_000_000, 2, wafer, "adam", "error")


def test_qwen3_weights_alone_do_not_fit(wafer: Target) -> None:
    # 30.5e9 x 2 B = 61.0 GB of weights > 51.5 GB
    with pytest.raises(CapacityError) as info:
        check_capacity(30_500_000_000, 2, wafer, "sgd", "error")
    msg = str(info.value)
    assert "122.0 GB" in msg and "51.5 GB" in msg and "weights alone" in msg
    assert info.value.where == str(default_target_path())
    assert not check_capacity(30_500_000_000, 2, wafer, "sgd", "warn").fits


def test_qwen3_fits_on_ssd_target() -> None:
    ssd = load_target(default_target_path().with_name("wafer-ssd.toml"))
    assert check_capacity(30_500_000_000, 2, ssd, "adam", "error").fits  # 6 TiB of SSD


def test_optimizer_state_bytes() -> None:
    assert {n: o.state_bytes(2) for n, o in OPTIMIZERS.items()} == {
        "sgd": 0, "momentum": 2, "adam": 4, "adam-mixed": 12}


def test_bad_optimizer_and_mode(wafer: Target) -> None:
    with pytest.raises(CapacityError, match="unknown optimizer 'lion'"):
        check_capacity(1, 2, wafer, "lion", "error")
    with pytest.raises(CapacityError, match="'error' or 'warn'"):
        check_capacity(1, 2, wafer, "sgd", "maybe")  # type: ignore[arg-type]
