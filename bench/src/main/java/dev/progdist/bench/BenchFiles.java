package dev.progdist.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.SplittableRandom;

/** Program files of a given size for the delivery bench, sizes, and a sink that discards what it reads. */
public final class BenchFiles {

    private static final int BUFFER = 1024 * 1024;

    private BenchFiles() {
    }

    /**
     * Writes {@code size} pseudo-random bytes (SplittableRandom: incompressible, and fast enough
     * that making a 1 GiB file takes seconds) to {@code file}, replacing it.
     */
    public static Path random(Path file, long size) throws IOException {
        SplittableRandom random = new SplittableRandom();
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            long left = size;
            while (left > 0) {
                buffer.clear();
                while (buffer.remaining() >= Long.BYTES) {
                    buffer.putLong(random.nextLong());
                }
                buffer.flip();
                buffer.limit((int) Math.min(buffer.limit(), left));
                left -= buffer.remaining();
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
        }
        return file;
    }

    /** Reads {@code in} to its end into one reused buffer of {@code bufferSize}; returns the byte count. */
    public static long drain(InputStream in, int bufferSize) throws IOException {
        byte[] buffer = new byte[bufferSize];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            total += n;
        }
        return total;
    }

    /** {@code 256MiB}, {@code 1GiB}, {@code 64m}, {@code 1g}, {@code 4096k} or a plain byte count. */
    public static long parseSize(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT).replace(" ", "");
        long unit = 1;
        for (String[] suffix : new String[][] {{"gib", "1073741824"}, {"mib", "1048576"}, {"kib", "1024"},
                {"g", "1073741824"}, {"m", "1048576"}, {"k", "1024"}, {"b", "1"}}) {
            if (t.endsWith(suffix[0])) {
                unit = Long.parseLong(suffix[1]);
                t = t.substring(0, t.length() - suffix[0].length());
                break;
            }
        }
        long value;
        try {
            value = Math.multiplyExact(Long.parseLong(t), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("not a size: '" + text + "' (use for example 256MiB, 1GiB or bytes)");
        }
        if (value < 1) {
            throw new IllegalArgumentException("a size must be at least 1 byte: '" + text + "'");
        }
        return value;
    }

    /** Binary units, for the report. */
    public static String size(long bytes) {
        if (bytes % (1L << 30) == 0) {
            return (bytes >> 30) + " GiB";
        }
        if (bytes % (1L << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        return String.format(Locale.ROOT, "%,d bytes", bytes);
    }

    /** Decimal megabytes per second, the unit of every throughput figure of the bench. */
    public static double mbPerSecond(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }

    public static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // scratch file in the bench home; the next run wipes it anyway
        }
    }
}
