import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports the application's current types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^usr_[0-9a-f]{16}$'`))
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_verified', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('display_name', 'text')
    .addColumn('groups', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    // The login this person claimed from a template ({{email.local}}): one person per login.
    .addColumn('login', 'text', (c) => c.unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_login_at', 'timestamptz')
    .addColumn('locked_at', 'timestamptz')
    .addColumn('lock_reason', 'text')
    .addUniqueConstraint('users_issuer_subject_key', ['issuer', 'subject'])
    .execute();
  await db.schema.createIndex('users_email_idx').on('users').expression(sql`lower(email)`).execute();

  await db.schema
    .createTable('roles')
    .addColumn('name', 'text', (c) => c.primaryKey().check(sql`name ~ '^[a-z][a-z0-9-]{0,62}$'`))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('logins', 'jsonb', (c) => c.notNull())
    .addColumn('host_labels', 'jsonb', (c) => c.notNull())
    .addColumn('max_ttl', 'integer', (c) => c.notNull().check(sql`max_ttl > 0`))
    .addColumn('permissions', 'jsonb', (c) => c.notNull())
    .addColumn('capabilities', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('grants')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^grt_[0-9a-f]+$'`))
    .addColumn('subject_kind', 'text', (c) => c.notNull().check(sql`subject_kind in ('user', 'group')`))
    // An email (stored lowercased) for a user grant, an IdP group name for a group grant.
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().references('roles.name'))
    .addColumn('expires_at', 'timestamptz')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'text')
    .execute();
  await db.schema.createIndex('grants_subject_idx').on('grants').columns(['subject_kind', 'subject']).execute();
  await db.schema.createIndex('grants_role_idx').on('grants').column('role').execute();

  await db.schema
    .createTable('hosts')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('labels', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['hosts', 'grants', 'roles', 'users']) {
    await db.schema.dropTable(table).execute();
  }
}
