package dev.progdist.protocol.bus;

import jakarta.jms.BytesMessage;
import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.ObjectMessage;
import jakarta.jms.Session;
import jakarta.jms.StreamMessage;
import jakarta.jms.TextMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jms.support.converter.MessageConversionException;
import org.springframework.jms.support.converter.MessageConverter;

/**
 * The only way a body crosses a progdist JMS endpoint: {@link BytesMessage} ⇄ {@code byte[]} and
 * {@link TextMessage} ⇄ {@code String}. Any other message type ({@link ObjectMessage},
 * {@link MapMessage}, {@link StreamMessage}, a bare {@link Message}) is refused with
 * {@link RefusedMessageException} before its body is read, so no Java object is ever deserialized;
 * the refusal is logged at WARN with the type and destination, never the content. Set on the
 * camel-jms component, it replaces camel-jms' own mapping (which calls
 * {@link ObjectMessage#getObject()}) for consumers, replies and producers alike.
 */
public final class BusMessageConverter implements MessageConverter {

    private static final Logger LOG = LoggerFactory.getLogger(BusMessageConverter.class);

    /** A message of a type the device bus does not carry. Its body was not read. */
    public static final class RefusedMessageException extends MessageConversionException {
        private static final long serialVersionUID = 1L;

        RefusedMessageException(String message) {
            super(message);
        }
    }

    @Override
    public Object fromMessage(Message message) throws JMSException {
        if (message instanceof BytesMessage bytes) {
            long length = bytes.getBodyLength();
            if (length > Integer.MAX_VALUE - 16) {
                throw new MessageConversionException("a BytesMessage of " + length + " bytes is too large");
            }
            byte[] body = new byte[(int) length];
            bytes.readBytes(body);
            return body;
        }
        if (message instanceof TextMessage text) {
            return text.getText();
        }
        String type = typeName(message);
        String destination = String.valueOf(message.getJMSDestination());
        // type and destination only: the content is the sender's and is never read
        LOG.warn("Refused a JMS {} on {}: progdist accepts only BytesMessage and TextMessage; dropped unread",
                type, destination);
        throw new RefusedMessageException("refused a JMS " + type + " on " + destination
                + ": only BytesMessage and TextMessage are accepted");
    }

    @Override
    public Message toMessage(Object object, Session session) throws JMSException {
        if (object == null) {
            return session.createBytesMessage();
        }
        if (object instanceof byte[] bytes) {
            BytesMessage m = session.createBytesMessage();
            m.writeBytes(bytes);
            return m;
        }
        if (object instanceof String text) {
            return session.createTextMessage(text);
        }
        throw new MessageConversionException("progdist sends only byte[] or String bodies over JMS, not "
                + object.getClass().getName());
    }

    /** True when {@code e} or one of its causes is a refusal by this converter. */
    public static boolean isRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RefusedMessageException) {
                return true;
            }
        }
        return false;
    }

    static String typeName(Message message) {
        if (message instanceof ObjectMessage) {
            return "ObjectMessage";
        }
        if (message instanceof MapMessage) {
            return "MapMessage";
        }
        if (message instanceof StreamMessage) {
            return "StreamMessage";
        }
        return message == null ? "null message" : "Message without a body type";
    }
}
