from __future__ import annotations

import pytest

from shipyard.config import env


def test_bool_parses_and_fails_loudly() -> None:
    assert env.env_bool("X", environ={"X": "yes"}) is True
    assert env.env_bool("X", environ={"X": "0"}) is False
    assert env.env_bool("X", True, environ={}) is True
    with pytest.raises(env.EnvError, match="X='maybe' is not a boolean"):
        env.env_bool("X", environ={"X": "maybe"})


def test_int_and_list() -> None:
    assert env.env_int("N", 3, environ={"N": " 7 "}) == 7
    with pytest.raises(env.EnvError, match="not an integer"):
        env.env_int("N", 3, environ={"N": "7x"})
    with pytest.raises(env.EnvError, match="at least 1"):
        env.env_int("N", 3, environ={"N": "0"}, minimum=1)
    assert env.env_list("H", [], environ={"H": "a.com, b.com,"}) == ["a.com", "b.com"]


def test_database_url() -> None:
    cfg = env.parse_database_url("postgres://app:s%40cret@db.internal:6543/shipyard?sslmode=require")
    assert (cfg.user, cfg.password, cfg.host, cfg.port, cfg.name) == (
        "app",
        "s@cret",
        "db.internal",
        "6543",
        "shipyard",
    )
    assert cfg.options == {"sslmode": "require"}
    socket = env.parse_database_url("postgresql://postgres:@/shipyard?host=/tmp/pg")
    assert socket.host == "/tmp/pg" and socket.options == {}
    with pytest.raises(env.EnvError, match="PostgreSQL only"):
        env.parse_database_url("sqlite:///db.sqlite3")
    with pytest.raises(env.EnvError, match="must name a database"):
        env.parse_database_url("postgres://localhost")


def test_redis_url() -> None:
    assert env.parse_redis_url("redis://127.0.0.1:6379/0")
    with pytest.raises(env.EnvError):
        env.parse_redis_url("memcached://x")
    assert env.with_redis_db("redis://h:1/0", 13) == "redis://h:1/13"


def test_choice() -> None:
    assert env.env_choice("S", "local", ("local", "s3"), environ={"S": "S3"}) == "s3"
    with pytest.raises(env.EnvError, match="must be one of"):
        env.env_choice("S", "local", ("local", "s3"), environ={"S": "gcs"})
