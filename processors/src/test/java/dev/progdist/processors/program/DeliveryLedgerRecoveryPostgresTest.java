package dev.progdist.processors.program;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.PostgresSchema;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * {@link DeliveryLedgerRecoveryTest} on PostgreSQL, the database several server instances share:
 * the same SQL (instance lease, server-lost, settlement in the transaction). Runs when
 * {@code PROGDIST_TEST_POSTGRES_URL} names a database (see {@code .ci/postgres}); a fresh schema each.
 */
@EnabledIfEnvironmentVariable(named = "PROGDIST_TEST_POSTGRES_URL", matches = "jdbc:postgresql:.*")
class DeliveryLedgerRecoveryPostgresTest extends DeliveryLedgerRecoveryTest {

    private PostgresSchema schema;

    @Override
    Database openDatabase() throws Exception {
        schema = PostgresSchema.create(4);
        return schema.database();
    }

    @Override
    void closeDatabase() throws Exception {
        schema.close();
    }
}
