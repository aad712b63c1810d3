"""SQLAlchemy 2 (asyncio) adapter: tables, mappers, repositories, unit of work, migrations.

SQLite (aiosqlite) for development and tests, PostgreSQL (asyncpg) in production.
"""
