package dev.progdist.processors.rollout;

import dev.progdist.processors.testing.MutableClock;
import dev.progdist.processors.testing.PostgresSchema;
import java.time.Instant;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/** {@link RolloutCreationTest} on PostgreSQL: the engine's SQL is the same on both databases. */
@EnabledIfEnvironmentVariable(named = "PROGDIST_TEST_POSTGRES_URL", matches = "jdbc:postgresql:.*")
class RolloutCreationOnPostgresTest extends RolloutCreationTest {

    @Override
    RolloutFixture fixture() throws Exception {
        return RolloutFixture.onPostgres(dir, PostgresSchema.create(6),
                new MutableClock(Instant.parse("2026-03-02T10:00:00Z")));
    }
}
