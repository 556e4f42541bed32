"""``one_of``: ``= ANY(array)`` on PostgreSQL (one statement text for every length), ``IN`` on SQLite."""

from __future__ import annotations

from sqlalchemy import create_engine, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from tracker.store.lists import one_of, one_of_param
from tracker.store.models import Base, Lab


def test_sqlite_matches_the_values_and_nothing_for_an_empty_list() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[Lab.__table__])
    with Session(engine) as session:
        session.add_all(Lab(slug=f"lab-{i}", name=f"Lab {i}", country="US") for i in range(5))
        session.flush()
        slugs = session.scalars(select(Lab.slug).where(one_of(session, Lab.slug, ["lab-1", "lab-3", "x"])))
        assert sorted(slugs) == ["lab-1", "lab-3"]
        assert session.scalars(select(Lab.id).where(one_of(session, Lab.id, []))).all() == []


class _PgBind:
    dialect = postgresql.dialect()


class _PgSession:
    def get_bind(self) -> _PgBind:
        return _PgBind()


def test_postgresql_renders_one_array_parameter_whatever_the_length() -> None:
    texts = {
        str(select(Lab.id).where(one_of(_PgSession(), Lab.id, range(n))).compile(dialect=postgresql.dialect()))  # type: ignore[arg-type]
        for n in (1, 3, 700)
    }
    assert len(texts) == 1
    assert "= ANY (" in texts.pop()


def test_one_of_param_binds_the_list_at_run_time_on_both_backends() -> None:
    pg = select(Lab.id).where(one_of_param(Lab.id, "ids", postgresql_arrays=True))
    assert "= ANY (%(ids)s" in str(pg.compile(dialect=postgresql.dialect()))
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[Lab.__table__])
    stmt = select(Lab.slug).where(one_of_param(Lab.id, "ids", postgresql_arrays=False)).order_by(Lab.id)
    with Session(engine) as session:
        session.add_all(Lab(slug=f"lab-{i}", name=f"Lab {i}", country="US") for i in range(4))
        session.flush()
        assert session.scalars(stmt, {"ids": [2, 4]}).all() == ["lab-1", "lab-3"]
        assert session.scalars(stmt, {"ids": []}).all() == []
