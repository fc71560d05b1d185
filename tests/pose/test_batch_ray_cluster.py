"""`--engine ray --address` joining a simulated 2-node cluster (``ray.cluster_utils.Cluster``,
one CPU per node, so the two actors must run on different nodes): same bytes as local."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("ray")
from helpers.ray_helpers import comparable_manifest, stray_files, tree_bytes, video_tree
from repcoach.pose.batch import MANIFEST_NAME, run_batch
from repcoach.pose.batch_ray import run_batch_ray
from repcoach.pose.extract import PoseExtractorOptions

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture
def two_node_cluster():
    """A head and one worker node, 1 CPU each, in this machine; Ray itself not initialised."""
    import os

    import ray
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    cluster = Cluster(initialize_head=True,
                      head_node_args={"num_cpus": 1, "include_dashboard": False})  # fmt: skip
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    yield cluster
    if ray.is_initialized():
        ray.shutdown()
    cluster.shutdown()


def test_two_node_cluster_matches_local(two_node_cluster, realdata, tmp_path):
    import ray

    opts = PoseExtractorOptions(max_frames=30)
    data = tmp_path / "data"
    video_tree(realdata, data, n=3)
    ref = run_batch(data, tmp_path / "ref", options=opts, workers=1, progress=False)
    s = run_batch_ray(data, tmp_path / "out", options=opts, workers=2, progress=False,
                      address=two_node_cluster.address)  # fmt: skip
    assert not ray.is_initialized()  # joined for the run, disconnected after
    assert s.counts == {"done": 3, "skipped": 0, "failed": 0} and s.workers == 2
    man = json.loads((tmp_path / "out" / MANIFEST_NAME).read_text())
    assert man["ray"] == {"address": two_node_cluster.address, "cluster_cpus": 2, "nodes": 2}
    assert tree_bytes(tmp_path / "out", skip=(MANIFEST_NAME,)) == tree_bytes(
        tmp_path / "ref", skip=(MANIFEST_NAME,))
    assert comparable_manifest(tmp_path / "out" / MANIFEST_NAME, tmp_path / "out") == (
        comparable_manifest(tmp_path / "ref" / MANIFEST_NAME, tmp_path / "ref"))
    assert ref.counts == s.counts and not stray_files(tmp_path / "out")
