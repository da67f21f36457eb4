package dev.progdist.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/** Captures every log event of every logger (at all levels) while open, to check what gets logged. */
public final class CapturedLogs extends AbstractAppender implements AutoCloseable {

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final LoggerContext context = (LoggerContext) LogManager.getContext(false);
    private final Level previous;

    public CapturedLogs() {
        super("captured", null, null, true, Property.EMPTY_ARRAY);
        start();
        previous = context.getConfiguration().getRootLogger().getLevel();
        context.getConfiguration().getRootLogger().addAppender(this, Level.ALL, null);
        context.getConfiguration().getRootLogger().setLevel(Level.ALL);
        context.updateLoggers();
    }

    @Override
    public void append(LogEvent event) {
        StringBuilder line = new StringBuilder(event.getLoggerName()).append(' ')
                .append(event.getMessage().getFormattedMessage());
        if (event.getThrown() != null) {
            StringWriter w = new StringWriter();
            event.getThrown().printStackTrace(new PrintWriter(w));
            line.append('\n').append(w);
        }
        lines.add(line.toString());
    }

    public String all() {
        return String.join("\n", lines);
    }

    @Override
    public void close() {
        context.getConfiguration().getRootLogger().removeAppender(getName());
        context.getConfiguration().getRootLogger().setLevel(previous);
        context.updateLoggers();
        stop();
    }
}
