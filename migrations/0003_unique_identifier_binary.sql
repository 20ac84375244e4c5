-- A tenant's unique_identifier is compared byte for byte: under the default case- and accent-insensitive
-- collation `Attempt-1` and `attempt-1`, or `résumé` and `resume`, would name the same session.
-- utf8mb4_bin pads trailing spaces; the API refuses identifiers that begin or end with white space.
ALTER TABLE sessions
    MODIFY unique_identifier VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
