CREATE TABLE users (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email      text        NOT NULL,
  name       text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- E-mail addresses are unique regardless of case: Ada@Example.com and ada@example.com are one user.
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));
