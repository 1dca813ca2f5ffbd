"""Tests of textgan.checkpoint: round trips, pruning, damaged / incompatible checkpoints, code-free loading,
failed writes (disk full), leftover temporary folders, vocabulary fingerprints."""

from __future__ import annotations

import errno
import json
import logging
import random

import numpy as np
import pytest
import torch

from textgan import checkpoint as checkpoint_module
from textgan.checkpoint import (
    FORMAT_VERSION,
    DamagedCheckpoint,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    load_weights_into,
    remove_temporary,
    rng_state,
    save_checkpoint,
    set_rng_state,
    verify,
    vocab_fingerprint,
)
from textgan.data.vocab import IdVocab, TextVocab
from textgan.errors import UserError
from textgan.nn import LSTMGenerator


def trained():
    torch.manual_seed(0)
    gen = LSTMGenerator(15, 4, 5)
    opt = torch.optim.Adam(gen.parameters(), lr=0.01)
    gen(torch.randint(0, 15, (3, 4))).logsumexp(-1).mean().backward()
    opt.step()
    return gen, opt


def save(root, step, gen, opt, keep=3, **state):
    return save_checkpoint(root, step, {"generator": gen},
                           {"optimizers": {"generator": opt.state_dict()}, "rng": rng_state(), **state},
                           {"model": "mle", "vocab_size": 15}, keep=keep)


def draws():
    return random.random(), float(np.random.rand()), torch.rand(3)


def test_round_trip_weights_optimizer_and_rng(tmp_path):
    gen, opt = trained()
    path = save(tmp_path, 7, gen, opt, progress={"step": 7, "elapsed": 1.5})
    expected = draws()
    weights, state, meta = load_checkpoint(path)
    assert path.name == "step-00000007" and meta["step"] == 7 and meta["format_version"] == FORMAT_VERSION
    assert meta["model"] == "mle" and set(meta["files"]) == {"weights.safetensors", "state.pt"}
    fresh = LSTMGenerator(15, 4, 5)
    load_weights_into({"generator": fresh}, weights, path)
    for (name, a), b in zip(gen.state_dict().items(), fresh.state_dict().values()):
        assert torch.equal(a, b), name
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=0.01)
    fresh_opt.load_state_dict(state["optimizers"]["generator"])
    for s_old, s_new in zip(opt.state.values(), fresh_opt.state.values()):
        assert all(torch.equal(s_old[k], s_new[k]) for k in ("step", "exp_avg", "exp_avg_sq"))
    assert state["progress"] == {"step": 7, "elapsed": 1.5}
    set_rng_state(state["rng"])
    got = draws()
    assert got[:2] == expected[:2] and torch.equal(got[2], expected[2])


def test_state_pt_loads_with_weights_only(tmp_path):
    gen, opt = trained()
    path = save(tmp_path, 1, gen, opt)
    state = torch.load(path / "state.pt", weights_only=True)
    assert set(state) == {"optimizers", "rng"}
    assert not list(tmp_path.glob(".tmp-*"))  # the temporary folder was renamed into place


def test_keep_prunes_oldest(tmp_path):
    gen, opt = trained()
    for step in range(1, 6):
        save(tmp_path, step, gen, opt, keep=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-00000004", "step-00000005"]
    (tmp_path / ".tmp-step-00000006-123").mkdir()  # a crash mid-write leaves only a hidden temp folder
    assert latest_checkpoint(tmp_path).name == "step-00000005"
    assert list_checkpoints(tmp_path / "missing") == [] and latest_checkpoint(tmp_path / "missing") is None


def test_resaving_a_step_replaces_it(tmp_path):
    gen, opt = trained()
    save(tmp_path, 3, gen, opt, marker=1)
    save(tmp_path, 3, gen, opt, marker=2)
    assert len(list_checkpoints(tmp_path)) == 1
    assert load_checkpoint(tmp_path / "step-00000003")[1]["marker"] == 2


@pytest.mark.parametrize("damage", ["truncate_weights", "truncate_state", "bad_meta", "missing_file"])
def test_damaged_newest_falls_back_to_previous(tmp_path, caplog, damage):
    gen, opt = trained()
    save(tmp_path, 1, gen, opt)
    newest = save(tmp_path, 2, gen, opt)
    if damage == "truncate_weights":
        f = newest / "weights.safetensors"
        f.write_bytes(f.read_bytes()[:-10])
    elif damage == "truncate_state":
        f = newest / "state.pt"
        f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2])
    elif damage == "bad_meta":
        (newest / "meta.json").write_text('{"format_vers')
    else:
        (newest / "state.pt").unlink()
    with caplog.at_level(logging.WARNING, logger="textgan.checkpoint"):
        assert latest_checkpoint(tmp_path).name == "step-00000001"
    assert "damaged" in caplog.text and "falling back" in caplog.text
    with pytest.raises(UserError, match="damaged"):
        load_checkpoint(newest)


def test_format_version_mismatch(tmp_path):
    gen, opt = trained()
    path = save(tmp_path, 1, gen, opt)
    meta = json.loads((path / "meta.json").read_text())
    (path / "meta.json").write_text(json.dumps({**meta, "format_version": FORMAT_VERSION + 1}))
    with pytest.raises(UserError, match=f"format version {FORMAT_VERSION + 1}.*reads version {FORMAT_VERSION}"):
        load_checkpoint(path)


def test_weights_that_do_not_fit(tmp_path):
    gen, opt = trained()
    path = save(tmp_path, 1, gen, opt)
    weights, _, _ = load_checkpoint(path)
    with pytest.raises(UserError, match="does not fit this model's 'generator'"):
        load_weights_into({"generator": LSTMGenerator(16, 4, 5)}, weights, path)
    with pytest.raises(UserError, match="no weights for 'discriminator'"):
        load_weights_into({"discriminator": LSTMGenerator(15, 4, 5)}, weights, path)


def test_failed_write_keeps_previous_and_leaves_no_temporary(tmp_path, monkeypatch):
    gen, opt = trained()
    save(tmp_path, 1, gen, opt)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint_module.torch, "save", disk_full)
    with pytest.raises(UserError, match=r"No space left on device\); the previous checkpoint \(step-00000001\)"):
        save(tmp_path, 2, gen, opt)
    assert [p.name for p in tmp_path.iterdir()] == ["step-00000001"]
    verify(tmp_path / "step-00000001")


def test_every_checkpoint_damaged_is_one_error(tmp_path):
    gen, opt = trained()
    for step in (1, 2):
        (save(tmp_path, step, gen, opt) / "state.pt").write_bytes(b"")
    with pytest.raises(DamagedCheckpoint, match="no intact checkpoint .* all 2 are damaged"):
        latest_checkpoint(tmp_path)


def test_remove_temporary_and_listing_ignore_unfinished_folders(tmp_path):
    gen, opt = trained()
    save(tmp_path, 1, gen, opt)
    (tmp_path / ".tmp-step-00000002-99").mkdir()
    (tmp_path / ".tmp-old-step-00000001-99").mkdir()
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-00000001"]
    remove_temporary(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["step-00000001"]


def test_vocab_fingerprint_tells_vocabularies_apart():
    assert vocab_fingerprint(IdVocab(50)) == vocab_fingerprint(IdVocab(50))
    assert vocab_fingerprint(IdVocab(50)) != vocab_fingerprint(IdVocab(51))
    a = TextVocab.build([["a", "b", "c"]])
    b = TextVocab.build([["a", "b", "d"]])
    assert a.size == b.size and vocab_fingerprint(a) != vocab_fingerprint(b)
    assert vocab_fingerprint(a) == vocab_fingerprint(TextVocab.build([["a", "b", "c"]]))


def test_named_checkpoint_takes_a_folder_or_a_name_and_lists_the_kept_ones_when_missing(tmp_path):
    from textgan.checkpoint import named_checkpoint
    from textgan.errors import UserError

    root = tmp_path / "checkpoints"
    for name in ("step-00000001", "step-00000002", ".tmp-step-00000003"):
        (root / name).mkdir(parents=True)
    assert named_checkpoint(root, "step-00000002") == root / "step-00000002"
    assert named_checkpoint(root, root / "step-00000001") == root / "step-00000001"
    with pytest.raises(UserError, match=r"'step-9' not found.*\(step-00000001, step-00000002\)") as err:
        named_checkpoint(root, "step-9")
    assert ".tmp-" not in str(err.value)  # unfinished writes are not offered


# -- checkpoints of CUDA runs (no GPU needed) -----------------------------------------------------------------


def test_a_checkpoint_written_on_a_gpu_loads_and_resumes_on_a_cpu_only_machine(tmp_path, monkeypatch):
    """A CUDA run's state.pt tags its optimiser tensors 'cuda:0' and holds CUDA RNG states; a CPU-only machine
    loads it (map_location), the optimiser takes its state, and the CUDA RNG states are skipped."""
    gen, opt = trained()
    cuda_rng = {**rng_state(), "cuda": [torch.zeros(16, dtype=torch.uint8)] * 2}
    expected = draws()
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")  # as torch.save on a GPU
    path = save_checkpoint(tmp_path, 1, {"generator": gen}, {"optimizers": {"generator": opt.state_dict()},
                                                             "rng": cuda_rng}, {"model": "mle", "vocab_size": 15})
    monkeypatch.undo()
    with pytest.raises(RuntimeError, match="CUDA"):  # what a load without map_location does here
        torch.load(path / "state.pt", weights_only=True)
    assert not torch.cuda.is_available()
    weights, state, _ = load_checkpoint(path)
    fresh = LSTMGenerator(15, 4, 5)
    load_weights_into({"generator": fresh}, weights, path)
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=0.01)
    fresh_opt.load_state_dict(state["optimizers"]["generator"])
    assert all(s["exp_avg"].device.type == "cpu" for s in fresh_opt.state.values())
    set_rng_state(state["rng"])
    got = draws()
    assert got[:2] == expected[:2] and torch.equal(got[2], expected[2])


def test_cuda_rng_states_of_more_gpus_than_visible_restore_those_that_are(monkeypatch):
    """A checkpoint written where 2 GPUs were visible, resumed where 1 is: torch.cuda.set_rng_state_all would
    index the missing GPU (IndexError on torch.cuda.default_generators); only GPU 0's state is restored."""
    restored = []

    def fake_set_rng_state(new_state, device="cuda"):
        index = device if isinstance(device, int) else torch.device(device).index or 0
        if index >= 1:  # what torch does on a machine with one GPU
            raise IndexError("tuple index out of range")
        restored.append((index, new_state))

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "set_rng_state", fake_set_rng_state)
    monkeypatch.setattr(torch.cuda.random, "set_rng_state", fake_set_rng_state)  # what set_rng_state_all calls
    gpu0, gpu1 = torch.full((16,), 1, dtype=torch.uint8), torch.full((16,), 2, dtype=torch.uint8)
    state = {**{k: v for k, v in rng_state().items() if k != "cuda"}, "cuda": [gpu0, gpu1]}
    set_rng_state(state)
    assert len(restored) == 1 and restored[0][0] == 0 and torch.equal(restored[0][1], gpu0)


def test_weights_that_fit_by_name_and_shape_but_torch_refuses_give_one_line(tmp_path):
    # e.g. a module's own load hook refusing a value: torch's first detail line, not a traceback
    net = torch.nn.Linear(2, 2)

    def refuse(module, incompatible):
        raise RuntimeError("Error(s) in loading state_dict for Linear:\n\tweight holds a value this module refuses")

    net.register_load_state_dict_post_hook(refuse)
    with pytest.raises(UserError, match="does not fit this model's 'generator' \\(weight holds a value this module "
                                        "refuses\\)"):
        load_weights_into({"generator": net}, {"generator": torch.nn.Linear(2, 2).state_dict()}, tmp_path)
