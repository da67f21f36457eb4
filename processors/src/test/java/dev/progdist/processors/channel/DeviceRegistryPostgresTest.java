package dev.progdist.processors.channel;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.PostgresSchema;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/** {@link DeviceRegistryTest} on PostgreSQL (see {@code .ci/postgres}); a fresh schema each. */
@EnabledIfEnvironmentVariable(named = "PROGDIST_TEST_POSTGRES_URL", matches = "jdbc:postgresql:.*")
class DeviceRegistryPostgresTest extends DeviceRegistryTest {

    private PostgresSchema schema;

    @Override
    Database openDatabase() throws Exception {
        schema = PostgresSchema.create(2);
        return schema.database();
    }

    @Override
    void closeDatabase() throws Exception {
        schema.close();
    }
}
