package dev.progdist.bench;

import dev.progdist.protocol.envelope.EnvelopeStream;
import dev.progdist.protocol.envelope.ProgramSealer;
import dev.progdist.protocol.envelope.RecipientKeys;
import dev.progdist.protocol.envelope.SealedRelease;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.program.EnvelopeMode;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;

/**
 * "Encrypt once, wrap per device" ({@link SealedRelease}, wrapped mode) for many devices, against
 * sealing each device from scratch. Per device it times (a) {@code envelopeFor} plus reading the
 * envelope's header, which is everything up to the encrypted content: the one part that differs
 * between devices (a fresh RecipientInfo); and (b) the whole envelope streamed to a sink that
 * discards it (header, the shared ciphertext copied from its file, the mac).
 */
public final class ReleaseSealing {

    /** The wrapped envelope's trailer after the content: the mac OCTET STRING, tag and length then the 16-byte GCM tag. */
    static final int MAC_TLV_BYTES = 2 + 16;
    static final int SINK_BUFFER = 64 * 1024;

    public record Result(long encryptNanos, long size, Samples headerEc, Samples headerRsa, Samples fullEc,
            Samples fullRsa, Samples sealerEc, Samples sealerRsa, Samples scratchStreamEc, Samples scratchStreamRsa,
            int headerBytesEc, int headerBytesRsa) {
    }

    private final Path release;
    private final Path ciphertext;
    private final Path scratchOut;
    private final SecureRandom random = new SecureRandom();

    public ReleaseSealing(Path release, Path ciphertext, Path scratchOut) {
        this.release = release;
        this.ciphertext = ciphertext;
        this.scratchOut = scratchOut;
    }

    public Result measure(List<DeviceCertificates.Device> devices, int scratchRuns) throws Exception {
        Samples headerEc = new Samples();
        Samples headerRsa = new Samples();
        Samples fullEc = new Samples();
        Samples fullRsa = new Samples();
        int[] headerBytes = new int[2];
        long t0 = System.nanoTime();
        long encryptNanos;
        try (SealedRelease sealed = SealedRelease.encrypt(release, ciphertext, random)) {
            encryptNanos = System.nanoTime() - t0;
            // warm-up (JIT, Bouncy Castle's key wrapping): headers of the first devices, not counted
            for (DeviceCertificates.Device d : devices.subList(0, Math.min(20, devices.size()))) {
                header(sealed, d);
            }
            for (DeviceCertificates.Device d : devices) {
                long s = System.nanoTime();
                int bytes = header(sealed, d);
                long e = System.nanoTime() - s;
                boolean ec = d.type() == KeyType.EC_P256;
                (ec ? headerEc : headerRsa).add(e);
                headerBytes[ec ? 0 : 1] = bytes;
            }
            for (DeviceCertificates.Device d : devices) {
                long s = System.nanoTime();
                try (EnvelopeStream envelope = sealed.envelopeFor(d.certificate())) {
                    check(envelope, BenchFiles.drain(envelope, SINK_BUFFER));
                }
                (d.type() == KeyType.EC_P256 ? fullEc : fullRsa).add(System.nanoTime() - s);
            }
        } finally {
            BenchFiles.deleteQuietly(ciphertext);
        }
        Samples sealerEc = new Samples();
        Samples sealerRsa = new Samples();
        Samples streamEc = new Samples();
        Samples streamRsa = new Samples();
        DeviceCertificates.Device ec = first(devices, KeyType.EC_P256);
        DeviceCertificates.Device rsa = first(devices, KeyType.RSA_3072);
        try {
            for (int i = 0; i < scratchRuns; i++) {
                for (DeviceCertificates.Device d : new DeviceCertificates.Device[] {ec, rsa}) {
                    boolean isEc = d.type() == KeyType.EC_P256;
                    long s = System.nanoTime();
                    ProgramSealer.seal(EnvelopeMode.WRAPPED, d.certificate(), release, scratchOut, random);
                    (isEc ? sealerEc : sealerRsa).add(System.nanoTime() - s);
                    s = System.nanoTime();
                    try (EnvelopeStream envelope = EnvelopeStream.open(
                            RecipientKeys.forRecipient(EnvelopeMode.WRAPPED, d.certificate(), random), release)) {
                        check(envelope, BenchFiles.drain(envelope, SINK_BUFFER));
                    }
                    (isEc ? streamEc : streamRsa).add(System.nanoTime() - s);
                }
            }
        } finally {
            BenchFiles.deleteQuietly(scratchOut);
        }
        return new Result(encryptNanos, java.nio.file.Files.size(release), headerEc, headerRsa, fullEc, fullRsa,
                sealerEc, sealerRsa, streamEc, streamRsa, headerBytes[0], headerBytes[1]);
    }

    /** {@code envelopeFor} and the header read up to where the content starts; returns the header's length. */
    private static int header(SealedRelease sealed, DeviceCertificates.Device d) throws Exception {
        try (EnvelopeStream envelope = sealed.envelopeFor(d.certificate())) {
            int headerLength = (int) (envelope.length() - sealed.size() - MAC_TLV_BYTES);
            byte[] buffer = new byte[headerLength];
            int off = 0;
            while (off < headerLength) {
                int n = envelope.read(buffer, off, headerLength - off);
                if (n < 0) {
                    throw new IOException("the envelope ended inside its header");
                }
                off += n;
            }
            return headerLength;
        }
    }

    private static void check(EnvelopeStream envelope, long read) {
        if (read != envelope.length()) {
            throw new IllegalStateException("the envelope was " + read + " bytes, not the " + envelope.length()
                    + " announced");
        }
    }

    private static DeviceCertificates.Device first(List<DeviceCertificates.Device> devices, KeyType type) {
        return devices.stream().filter(d -> d.type() == type).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no " + type.cliName() + " device"));
    }
}
