package dev.progdist.processors.program;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.IdConflictException;
import dev.progdist.processors.store.StoreException;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.program.ProgramVersions;
import java.io.InputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The catalog of published program versions: one row in {@code programs} per version, the bytes
 * in the {@link BlobStore} under their SHA-256. Versions are ordered by {@link ProgramVersions#ORDER}
 * only, never by publication time.
 *
 * <p>{@link #publish} trusts that the publisher's signature over the {@link ProgramStatement} was
 * verified before (the publishing route does that as a route step); it checks that the bytes are
 * the ones the statement names.
 */
public class ProgramCatalog {

    /** One published version. {@code defaultMode} is null when the publisher chose none. */
    public record ProgramVersion(String programId, String version, String sha256, long size, String publisherSignature,
            String publisherFingerprint, EnvelopeMode defaultMode, String publishedBy, Instant publishedAt) {

        /** The statement the publisher signed for this version. */
        public ProgramStatement statement() {
            return new ProgramStatement(programId, version, sha256, size);
        }
    }

    /** The version, or one equal to it in version order ({@code 1.01} and {@code 1.1}), exists already. */
    public static final class VersionExistsException extends RuntimeException {
        private final String existing;

        VersionExistsException(String programId, String existing) {
            super("program " + programId + " already has version " + existing, null, false, false);
            this.existing = existing;
        }

        /** The version that is already published. */
        public String existing() {
            return existing;
        }
    }

    private static final Comparator<ProgramVersion> BY_VERSION = Comparator.comparing(ProgramVersion::version,
            ProgramVersions.ORDER);
    private static final String COLUMNS = "program_id, version, sha256, size, publisher_signature, "
            + "publisher_fingerprint, default_mode, published_by, published_at";

    private final Database database;
    private final BlobStore blobs;
    private final Clock clock;

    public ProgramCatalog(Database database, BlobStore blobs, Clock clock) {
        this.database = database;
        this.blobs = blobs;
        this.clock = clock;
    }

    public Optional<ProgramVersion> find(String programId, String version) {
        if (!ProgramVersions.isProgramId(programId) || !ProgramVersions.isVersion(version)) {
            return Optional.empty();
        }
        List<ProgramVersion> found = query("WHERE program_id = ? AND version = ?", programId, version);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** The newest version of {@code programId} in {@link ProgramVersions#ORDER}. */
    public Optional<ProgramVersion> latest(String programId) {
        return versions(programId).stream().max(BY_VERSION);
    }

    /** Every version of {@code programId}, oldest first in {@link ProgramVersions#ORDER}. */
    public List<ProgramVersion> versions(String programId) {
        if (!ProgramVersions.isProgramId(programId)) {
            return List.of();
        }
        List<ProgramVersion> found = new ArrayList<>(query("WHERE program_id = ?", programId, null));
        found.sort(BY_VERSION);
        return found;
    }

    /** Every version of every program, by program ID, then oldest first. */
    public List<ProgramVersion> all() {
        List<ProgramVersion> found = new ArrayList<>(query("", null, null));
        found.sort(Comparator.comparing(ProgramVersion::programId).thenComparing(BY_VERSION));
        return found;
    }

    /** The stored bytes of {@code v}; fails if the blob is missing. */
    public Path blob(ProgramVersion v) {
        return blobs.path(v.sha256());
    }

    /**
     * Refuses a version that is already published, or one that equals a published version in
     * {@link ProgramVersions#ORDER}.
     *
     * @throws VersionExistsException naming the version that exists
     * @throws IdConflictException    if the program ID differs only in case from a published one,
     *                                or the version only in case from a published version of it
     */
    public void requireNew(String programId, String version) {
        String folded = programId.toLowerCase(Locale.ROOT);
        // a TRP stores programs/<id>/<version>.bin: on a case-insensitive file system, Hello and
        // hello (or 1.0-RC1 and 1.0-rc1) would be one file
        for (ProgramVersion v : query("WHERE program_id_folded = ?", folded, null)) {
            if (!v.programId().equals(programId)) {
                throw new IdConflictException("program", programId, v.programId());
            }
            if (!v.version().equals(version) && v.version().equalsIgnoreCase(version)) {
                throw new IdConflictException("version", programId + " " + version, programId + " " + v.version());
            }
        }
        for (ProgramVersion v : versions(programId)) {
            if (ProgramVersions.compare(v.version(), version) == 0) {
                throw new VersionExistsException(programId, v.version());
            }
        }
    }

    /**
     * Stores {@code content} (exactly {@code statement.size()} bytes with SHA-256
     * {@code statement.sha256()}) and records the version.
     *
     * @param signature   the publisher's signature over {@link ProgramStatement#signedBytes()}, base64,
     *                    already verified
     * @param defaultMode may be null
     * @throws VersionExistsException        if the version (or an equal one) exists, also when another publish won a race
     * @throws BlobStore.MismatchException   if the bytes are not the ones the statement names (nothing is stored)
     * @throws BlobStore.InputFailedException if {@code content} cannot be read
     */
    public ProgramVersion publish(ProgramStatement statement, String signature, String publisherFingerprint,
            EnvelopeMode defaultMode, String publishedBy, InputStream content) {
        requireNew(statement.programId(), statement.version());
        BlobStore.Stored stored;
        try {
            stored = blobs.put(content, statement.size(),
                    new BlobStore.Expected(statement.sha256(), statement.size()));
        } catch (BlobStore.TooLargeException e) {
            // more bytes than the statement's size: the same refusal as any other difference
            throw new BlobStore.MismatchException("(not computed)", statement.size() + 1);
        }
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO programs (" + COLUMNS
                        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, statement.programId());
            ps.setString(2, statement.version());
            ps.setString(3, stored.sha256());
            ps.setLong(4, stored.size());
            ps.setString(5, signature);
            ps.setString(6, publisherFingerprint);
            ps.setString(7, defaultMode == null ? null : defaultMode.label());
            ps.setString(8, publishedBy);
            ps.setObject(9, Database.timestamp(clock.instant()));
            ps.executeUpdate();
        } catch (SQLException e) {
            if (IdConflictException.isFoldedUniqueViolation(e)) {
                throw new IdConflictException("version", statement.programId() + " " + statement.version(),
                        "(another spelling)");
            }
            if (isUniqueViolation(e)) {
                // a concurrent publish of the same version won; the blob may be shared with it, so it stays
                throw new VersionExistsException(statement.programId(), statement.version());
            }
            throw new StoreException("cannot record program version", e);
        }
        return find(statement.programId(), statement.version()).orElseThrow();
    }

    static boolean isUniqueViolation(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            if ("23505".equals(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private List<ProgramVersion> query(String where, String a, String b) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM programs " + where)) {
            if (a != null) {
                ps.setString(1, a);
            }
            if (b != null) {
                ps.setString(2, b);
            }
            List<ProgramVersion> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String mode = rs.getString(7);
                    out.add(new ProgramVersion(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                            rs.getString(5), rs.getString(6), mode == null ? null : EnvelopeMode.parse(mode),
                            rs.getString(8), rs.getObject(9, OffsetDateTime.class).toInstant()));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot read programs", e);
        }
    }
}
