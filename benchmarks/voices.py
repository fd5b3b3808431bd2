"""Benchmark part of `speakers`: how many voices, with what margin, how stable, against two other ways to count.

On every real case of benchmarks/voice_cases.py (21 recordings of one voice, 16 of two to seven), the windows
are embedded once (CAM++) and counted three ways, side by side:
- project: pipeline.speakers.voices (spectral cuts kept while the parts are less alike than one voice's halves,
  by a bar that depends on how much speech the smaller part holds), with its margins: for one voice, how far
  the best split it refused stood above the bar (`refused_margin`); for several, how far the two most alike
  voices it kept stood below it (`split_margin`);
- silhouette: what it replaces, spectral clustering into the count with the best silhouette, one voice under
  0.275, a voice under 5 % of the windows folded away;
- 3D-Speaker's back end for CAM++ (speakerlab/process/cluster.py): spectral clustering with the count from the
  largest eigengap of the pruned affinity's Laplacian, clusters under 4 windows folded into the nearest, then
  clusters whose centroids are more alike than 0.8 joined.
What sets the project's bar (`bar_evidence`): the centroid similarity of every pair its count decided on (each two
voices kept apart, each voice's refused cut in two), one person or two by the reference, by the speech in the
smaller part; the held-out meetings' pairs are given beside them by benchmarks/speakers.py.
Each count's turns (the same resegmentation) are scored against the reference where there is one (DER, as in
benchmarks/speakers.py), and so are the project's turns given the true count (`given_count_der`). Then the
project's diarizer runs again on each case shifted by 10 ms, dithered at −60 dBFS (of a recording at −20 dBFS),
through MP3 and on one thread: the voices found and the DER between those turns and the original ones. Last,
some cases under recording conditions nothing was chosen under (`unseen_conditions`: a phone line, kitchen
noise, a bare room, a 32 kb/s MP3, 20 dB quieter).
"""

from __future__ import annotations

import functools
import time
import warnings
from typing import Any

import numpy as np

from benchmarks.voice_cases import (
    AMI,
    CONDITIONS,
    PERTURBATIONS,
    RATE,
    SHIFT_SECONDS,
    Case,
    multi_voice_cases,
    one_thread,
    single_voice_cases,
)
from pipeline.speakers.voices import CAMPLUSPLUS_BAR, VoiceBar, cut_in_two, part_seconds, unit

DEV_CLIPS = (*AMI, "an4_2spk", "stereo_diarization")
LENGTHS = ((0.0, 3.0), (3.0, 10.0), (10.0, float("inf")))  # seconds of speech in the smaller part


def decided_pairs(embeddings: np.ndarray, where: np.ndarray, assignment: np.ndarray,
                  reference: list[tuple[float, float, str]] | None, bar: VoiceBar = CAMPLUSPLUS_BAR) -> list[dict[str, Any]]:
    """Every pair of parts the count decided on: each two voices it kept apart, and each voice's best cut in two,
    which it refused; with their centroid similarity, the speech the smaller part holds, and whether they are
    one person (the reference speaker heard most in each part is the same one; no reference: one voice)."""
    seconds = functools.partial(part_seconds, [where[index:index + 1] for index in range(where.shape[0])])

    def owner(part: np.ndarray) -> str | None:
        heard: dict[str, float] = {}
        for start, end in where[part]:
            for first, last, label in reference or []:
                heard[label] = heard.get(label, 0.0) + max(0.0, min(end, last) - max(start, first))
        return max(heard, key=heard.__getitem__) if heard and max(heard.values()) > 0 else None

    def pair(first: np.ndarray, second: np.ndarray) -> dict[str, Any]:
        similarity = float(unit(embeddings[first].mean(axis=0)) @ unit(embeddings[second].mean(axis=0)))
        one = reference is None or owner(first) == owner(second)
        return {"similarity": round(similarity, 3), "seconds": round(min(seconds(first), seconds(second)), 1),
                "one_person": one}

    parts = [assignment == label for label in range(int(assignment.max()) + 1)] if assignment.size else []
    found = [pair(parts[a], parts[b]) for a in range(len(parts)) for b in range(a + 1, len(parts))]
    for part in parts:
        cut = cut_in_two(embeddings, part, seconds, bar)
        if cut is not None:
            found.append(pair(cut[1], cut[2]))
    return found


def bar_evidence(pairs: list[dict[str, Any]], bar: VoiceBar = CAMPLUSPLUS_BAR) -> dict[str, Any]:
    """The similarity of one person's parts and of two people's, by the speech in the smaller part: (lowest,
    highest, how many), and how many pairs fall on the wrong side of the bar."""
    evidence: dict[str, Any] = {}
    for low, high in LENGTHS:
        within = [pair for pair in pairs if low <= pair["seconds"] < high]
        row: dict[str, Any] = {}
        for name, one in (("one_person", True), ("two_people", False)):
            values = [pair["similarity"] for pair in within if pair["one_person"] is one]
            row[name] = [min(values), max(values), len(values)] if values else []
        row["wrong_side_of_bar"] = sum((pair["similarity"] >= bar(pair["seconds"])) != pair["one_person"]
                                       for pair in within)
        evidence[f"{low:g}-{high:g}s"] = row
    return evidence


def silhouette_voices(embeddings: np.ndarray) -> np.ndarray:
    """The count this project used before: the best silhouette over 2–6 spectral clusters, one voice under 0.275."""
    from sklearn.metrics import silhouette_score

    n = embeddings.shape[0]
    if n < 3:
        return np.zeros(n, dtype=int)
    similarity = np.clip(embeddings @ embeddings.T, 0.0, None)
    neighbours = max(2, int(0.3 * n))
    cut = -np.sort(-similarity, axis=1)[:, neighbours - 1:neighbours]
    pruned = np.where(similarity >= cut, similarity, 0.0)
    graph = (pruned + pruned.T) / 2
    scored = []
    for voices in range(2, min(6, n - 1) + 1):
        grouped = _spectral(graph, voices)
        if np.bincount(grouped).min() >= max(2, 0.05 * n):
            scored.append((float(silhouette_score(embeddings, grouped, metric="cosine")), voices))
    best = max(scored, default=None)
    assignment = _spectral(graph, best[1]) if best is not None and best[0] >= 0.275 else np.zeros(n, dtype=int)
    return _fold(embeddings, assignment, max(2, int(0.05 * n)))


def threed_speaker_voices(embeddings: np.ndarray, pval: float = 0.012, fewest_neighbours: int = 6,
                          smallest: int = 4, join_above: float = 0.8, most: int = 10) -> np.ndarray:
    """3D-Speaker's CommonClustering('spectral', mer_cos=0.8, min_cluster_size=4) as its diarisation recipe sets it."""
    from sklearn.cluster import KMeans

    n = embeddings.shape[0]
    if n < 10:  # its `cluster_line`: fewer windows are one voice
        return np.zeros(n, dtype=int)
    similarity = embeddings @ embeddings.T
    dropped = min(int((1 - pval) * n), n - fewest_neighbours)
    for row in similarity:
        row[np.argsort(row)[:dropped]] = 0
    affinity = (similarity + similarity.T) / 2
    np.fill_diagonal(affinity, 0)
    laplacian = np.diag(np.abs(affinity).sum(axis=1)) - affinity
    values, vectors = np.linalg.eigh(laplacian)
    voices = int(np.argmax(np.diff(values[:most + 1]))) + 1
    assignment = KMeans(n_clusters=voices, random_state=0, n_init=10).fit_predict(vectors[:, :voices])
    assignment = _fold(embeddings, assignment, smallest)
    while len(set(assignment.tolist())) > 1:
        labels = sorted(set(assignment.tolist()))
        centroids = np.stack([unit(embeddings[assignment == label].mean(axis=0)) for label in labels])
        alike = np.triu(centroids @ centroids.T, 1)
        first, second = np.unravel_index(np.argmax(alike), alike.shape)
        if alike[first, second] < join_above:
            break
        assignment[assignment == labels[second]] = labels[first]
    return np.unique(assignment, return_inverse=True)[1]


def _spectral(graph: np.ndarray, clusters: int) -> np.ndarray:
    from sklearn.cluster import SpectralClustering

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return SpectralClustering(n_clusters=clusters, affinity="precomputed", assign_labels="cluster_qr",
                                  random_state=0).fit_predict(graph)


def _fold(embeddings: np.ndarray, assignment: np.ndarray, smallest: int) -> np.ndarray:
    """Windows of clusters under `smallest` windows to the nearest larger cluster."""
    labels, sizes = np.unique(assignment, return_counts=True)
    kept = labels[sizes >= smallest]
    if kept.size == 0:
        return np.zeros_like(assignment)
    centroids = np.stack([unit(embeddings[assignment == label].mean(axis=0)) for label in kept])
    moved = ~np.isin(assignment, kept)
    assignment = assignment.copy()
    assignment[moved] = kept[np.argmax(embeddings[moved] @ centroids.T, axis=1)]
    return np.unique(assignment, return_inverse=True)[1]


def count_case(diarizer: Any, case: Case) -> dict[str, Any]:
    from benchmarks.speakers import der
    from pipeline.speakers.voices import SpeakerCount, Voices

    audio = case.audio
    duration = audio.shape[0] / RATE
    started = time.perf_counter()
    speech, embeddings, where = diarizer.listen(audio)
    decision = diarizer.decide(speech, embeddings, where, SpeakerCount())
    found = diarizer.labelled(audio, speech, embeddings, where, decision)
    wall = time.perf_counter() - started
    pairs = decided_pairs(embeddings, where, decision.assignment, case.reference if case.voices > 1 else None)
    others = {"silhouette": silhouette_voices(embeddings), "threed_speaker": threed_speaker_voices(embeddings)}
    row: dict[str, Any] = {
        "seconds": round(duration, 1), "voices": case.voices, "found": len(found.voices),
        "split_margin": None if decision.split_margin is None else round(decision.split_margin, 3),
        "refused_margin": None if decision.refused_margin is None else round(decision.refused_margin, 3),
        "heard_together": round(decision.heard_together, 3),
        "rtf": round(wall / duration, 4),
        "pairs": pairs,
    }
    for name, assignment in others.items():
        row[f"{name}_found"] = int(assignment.max()) + 1
    if case.reference is not None:
        row["der"] = der(case.reference, found.turns, duration)
        given = diarizer.decide(speech, embeddings, where, SpeakerCount(case.voices, case.voices))
        row["given_count_der"] = der(case.reference, diarizer.labelled(audio, speech, embeddings, where, given).turns,
                                     duration)
        for name, assignment in others.items():
            turns = diarizer.labelled(audio, speech, embeddings, where, Voices(assignment, None, None)).turns
            row[f"{name}_der"] = der(case.reference, turns, duration)
    for name, perturb in PERTURBATIONS.items():
        changed = diarizer.diarize(perturb(audio), SpeakerCount(), lambda _s: None)
        shift = SHIFT_SECONDS.get(name, 0.0)
        row[f"{name}_found"] = len(changed.voices)
        row[f"{name}_turns_der"] = der(found.turns, [(a - shift, b - shift, label) for a, b, label in changed.turns], duration)
    with one_thread():
        changed = diarizer.diarize(audio, SpeakerCount(), lambda _s: None)
    row["one_thread_found"] = len(changed.voices)
    row["one_thread_turns_der"] = der(found.turns, changed.turns, duration)
    return row


CONDITION_CASES = ("jfk", "lucier", "fleurs-de-000", "arctic_axb", "jfk_twice_pink_noise", "lucier_music_intro_outro",
                   "jfk_lucier", "fleurs_fr-001_de-000", "arctic_aew_axb", "an4_2spk", "ami_dev00")


def run_conditions(diarizer: Any, cases: dict[str, Case]) -> dict[str, Any]:
    """Voices found on some of the cases under recording conditions nothing was chosen under (a phone line,
    kitchen noise 10 and 0 dB down, a bare room, a 32 kb/s MP3, 20 dB quieter), with the margin of each decision;
    wrong: one voice found as more, several as one."""
    from pipeline.speakers.voices import SpeakerCount

    rows: dict[str, str] = {}
    wrong: list[str] = []
    for name in CONDITION_CASES:
        case = cases[name]
        shown = []
        for condition, change in CONDITIONS.items():
            found = diarizer.diarize(change(case.audio), SpeakerCount(), lambda _s: None)
            count, decision = len(found.voices), found.decision
            margin = decision and (decision.split_margin if count > 1 else decision.refused_margin)
            if (count != 1) if case.voices == 1 else (count < 2):
                wrong.append(f"{name} {condition}")
            shown.append(f"{count}" + (f" ({margin:+.2f})" if margin is not None else ""))
        rows[name] = f"{case.voices}: " + " / ".join(shown)
    return {"conditions": " / ".join(CONDITIONS), "wrong": wrong, "cases": rows}


def run_voices() -> dict[str, Any]:
    from pipeline.speakers.diarize import load_diarizer
    from pipeline.speakers.voices import SpeakerCount

    diarizer = load_diarizer("campplus")
    diarizer.diarize(single_voice_cases()["jfk"].audio, SpeakerCount(), lambda _s: None)  # models loaded before timing
    single = {name: count_case(diarizer, case) for name, case in single_voice_cases().items()}
    several = {name: count_case(diarizer, case) for name, case in multi_voice_cases().items()}
    every = {**single, **several}
    dev = [several[name] for name in DEV_CLIPS]
    checks = (*PERTURBATIONS, "one_thread")

    def mean(rows: list[dict[str, Any]], key: str) -> float:
        return round(float(np.mean([row[key] for row in rows])), 4)

    return {
        "one_voice_right": f"{sum(row['found'] == 1 for row in single.values())}/{len(single)}",
        "silhouette_one_voice_right": f"{sum(row['silhouette_found'] == 1 for row in single.values())}/{len(single)}",
        "threed_speaker_one_voice_right": f"{sum(row['threed_speaker_found'] == 1 for row in single.values())}/{len(single)}",
        "several_never_one": f"{sum(row['found'] >= 2 for row in several.values())}/{len(several)}",
        "silhouette_several_never_one": f"{sum(row['silhouette_found'] >= 2 for row in several.values())}/{len(several)}",
        "threed_speaker_several_never_one": f"{sum(row['threed_speaker_found'] >= 2 for row in several.values())}/{len(several)}",
        "one_voice_refused_margin_min": min(row["refused_margin"] for row in single.values() if row["refused_margin"]),
        "several_split_margin_max": max(row["split_margin"] for row in several.values() if row["split_margin"]),
        "dev_der_mean": mean(dev, "der"), "given_count_dev_der_mean": mean(dev, "given_count_der"),
        "silhouette_dev_der_mean": mean(dev, "silhouette_der"),
        "threed_speaker_dev_der_mean": mean(dev, "threed_speaker_der"),
        "count_changed": {check: sorted(name for name, row in every.items() if row[f"{check}_found"] != row["found"])
                          for check in checks},
        "turns_der_max": {check: max(row[f"{check}_turns_der"] for row in every.values()) for check in checks},
        "rtf_max": max(row["rtf"] for row in every.values()),
        "bar_evidence": bar_evidence([pair for row in every.values() for pair in row["pairs"]]),
        "unseen_conditions": run_conditions(diarizer, {**single_voice_cases(), **multi_voice_cases(long=False)}),
        "single_voice": {name: _shown(row, checks) for name, row in single.items()},
        "several_voices": {name: _shown(row, checks) for name, row in several.items()},
    }


def _shown(row: dict[str, Any], checks: tuple[str, ...]) -> dict[str, Any]:
    """One case's row for the table: the perturbations as one line."""
    shown = {key: value for key, value in row.items() if not key.startswith(checks) and key != "pairs"}
    shown["perturbed_found"] = "/".join(str(row[f"{check}_found"]) for check in checks)
    shown["perturbed_turns_der_max"] = max(row[f"{check}_turns_der"] for check in checks)
    return shown
