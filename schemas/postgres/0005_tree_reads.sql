-- Sealbook ledger schema, version 5: the roles that may read the tree can compute it.
-- Applied by `sealbook init` after 0004_merkle_tree.sql (or on its next run, for an older ledger)
-- and recorded in sealbook.schema_version. docs/FORMAT.md section 12 is the contract.
--
-- sealbook.tree_node and sealbook.tree_root run with the caller's privileges and fold the stored
-- nodes with sealbook.merkle_fold, on which version 4 granted EXECUTE to no role: a login in
-- sealbook_auditor (a witness fetching a consistency proof, an auditor proving an entry's
-- inclusion) or in sealbook_writer got "permission denied for function merkle_fold". merkle_fold
-- is a pure function of its argument (SHA-256 over the hashes it is given) and reads nothing.
GRANT EXECUTE ON FUNCTION sealbook.merkle_fold(bytea[]) TO sealbook_writer, sealbook_auditor;
