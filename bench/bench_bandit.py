"""Bandit routing on digits: how much traffic the better of two versions gets.

Two versions that are right on 90 % and 70 % of the 1,797 digits rows; 5,000 requests, each
rewarded at once (correct = 1). The real policy and reward code (``shipyard.serving.bandit``) reads
and writes the arms' state in real Redis (logical db 14) on every request, as the gateway does.
Printed per policy and seed: the share of the last 1,000 requests sent to the better version, the
accuracy users saw, and the same for a fixed 50/50 split measured in the same run (the baseline).

Options: ``--requests=N`` (5,000), ``--seeds=N`` (5).
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT / "workers")]


def answers(labels: np.ndarray, accuracy: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = labels.copy()
    wrong = rng.choice(len(labels), size=round(len(labels) * (1 - accuracy)), replace=False)
    out[wrong] = (labels[wrong] + rng.integers(1, 10, size=len(wrong))) % 10
    return out


def main(argv: list[str]) -> int:
    import redis
    from sklearn.datasets import load_digits

    from shipyard.config.env import with_redis_db
    from shipyard.serving import bandit

    opts = dict(a.lstrip("-").split("=", 1) for a in argv if "=" in a)
    n_requests, seeds = int(opts.get("requests", 5000)), int(opts.get("seeds", 5))
    r = redis.Redis.from_url(with_redis_db(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), 14))
    _, labels = load_digits(return_X_y=True)
    good, bad = 1, 2
    table = {good: answers(labels, 0.90, 1), bad: answers(labels, 0.70, 2)}
    print(f"{n_requests} requests, arms right on 90 % (v{good}) and 70 % (v{bad}) of the digits rows")
    print(f"{'policy':<16}{'seed':>5}{'last 1,000 to v1':>18}{'accuracy seen':>15}{'ms/request':>12}")
    for policy in ("split 50/50", "thompson", "epsilon_greedy"):
        shares = []
        for seed in range(seeds):
            config = bandit.BanditConfig(
                policy="thompson" if policy.startswith("split") else policy,
                epsilon=0.1,
                min_share=0.5 if policy.startswith("split") else 0.02,  # 0.5 x 2 arms = a uniform draw
                epoch=seed,
                arms=(bad, good),
            )
            r.delete(bandit.state_key(999_999, seed))
            rows, chosen, right = random.Random(seed), [], 0
            started = time.perf_counter()
            for _ in range(n_requests):
                arm = bandit.pick_sync(r, 999_999, config, None)
                i = rows.randrange(len(labels))
                ok = bool(table[arm][i] == labels[i])
                bandit.reward_sync(r, 999_999, seed, arm, ok)
                chosen.append(arm)
                right += ok
            per_request = (time.perf_counter() - started) * 1000 / n_requests
            r.delete(bandit.state_key(999_999, seed))
            share = chosen[-1000:].count(good) / 1000
            shares.append(share)
            print(f"{policy:<16}{seed:>5}{share:>18.1%}{right / n_requests:>15.1%}{per_request:>12.3f}")
        print(f"{policy:<16}{'min':>5}{min(shares):>18.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
