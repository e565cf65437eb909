// Opens the daemon's database. Only the daemon opens it: it is the one writer.
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';

export type Db = Database.Database;

export function openDatabase(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL: a reservation must survive a power cut, not just a crash, before its request leaves.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}
