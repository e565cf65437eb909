// Opens the daemon's database. Only the daemon opens it: it is the one writer.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';

export type Db = Database.Database;

export function openDatabase(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a committed reservation survives the daemon's crash (kill -9); only an
  // OS crash or power cut can lose the last commits. The `fullSync` setting trades ~0.4 ms a
  // transaction (one fsync) for surviving those too.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** This database's own id, made on first use: it tells apart chains of different data folders. */
export function databaseId(db: Db): string {
  db.prepare("INSERT OR IGNORE INTO settings (key, value) VALUES ('database_id', ?)").run(randomUUID());
  return (db.prepare("SELECT value FROM settings WHERE key = 'database_id'").get() as { value: string }).value;
}
