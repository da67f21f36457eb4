package dev.progdist.protocol.bus;

import jakarta.jms.BytesMessage;
import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.ObjectMessage;
import jakarta.jms.Session;
import jakarta.jms.StreamMessage;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jms.support.converter.MessageConversionException;
import org.springframework.jms.support.converter.MessageConverter;

/**
 * The only way a body crosses a progdist JMS endpoint: {@link BytesMessage} ⇄ {@code byte[]} and
 * {@link TextMessage} ⇄ {@code String}. Any other message type ({@link ObjectMessage},
 * {@link MapMessage}, {@link StreamMessage}, a bare {@link Message}) is refused with
 * {@link RefusedMessageException} before its body is read, so no Java object is ever deserialized;
 * the refusal is logged at WARN with the type and destination, never the content. A body larger
 * than the limit is refused the same way, before it is copied into a {@code byte[]} or decoded
 * into a {@code String} (the Artemis client has received it by then: the device bus broker's own
 * limit, {@link BusMessageSizeLimit}, is what keeps it from arriving). Set on the
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

    private final long maxBodyBytes;

    /** No size limit of its own: for a bus whose every sender is trusted (the server's in-VM broker). */
    public BusMessageConverter() {
        this(Integer.MAX_VALUE - 16);
    }

    /**
     * @param maxBodyBytes the largest body accepted; a larger BytesMessage or TextMessage is refused
     *                     before its body is copied or decoded (device bus:
     *                     {@code progdist.gateway.bus.max-message-bytes}, {@code progdist.trp.bus.max-message-bytes})
     */
    public BusMessageConverter(long maxBodyBytes) {
        if (maxBodyBytes <= 0 || maxBodyBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("the largest JMS body must be 1 to " + (Integer.MAX_VALUE - 16)
                    + " bytes, not " + maxBodyBytes);
        }
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public Object fromMessage(Message message) throws JMSException {
        if (message instanceof BytesMessage bytes) {
            long length = bytes.getBodyLength();
            if (length > maxBodyBytes) {
                throw tooLarge(message, "BytesMessage", length);
            }
            byte[] body = new byte[(int) length];
            bytes.readBytes(body);
            return body;
        }
        if (message instanceof TextMessage text) {
            // Artemis knows the encoded size (2 bytes a character at most) without decoding the text
            if (message instanceof ActiveMQMessage artemis) {
                long size = artemis.getCoreMessage().getBodySize();
                if (size > maxBodyBytes) {
                    throw tooLarge(message, "TextMessage", size);
                }
            }
            String body = text.getText();
            if (body != null && body.length() > maxBodyBytes) {
                throw tooLarge(message, "TextMessage", body.length());
            }
            return body;
        }
        String type = typeName(message);
        String destination = String.valueOf(message.getJMSDestination());
        // type and destination only: the content is the sender's and is never read
        LOG.warn("Refused a JMS {} on {}: progdist accepts only BytesMessage and TextMessage; dropped unread",
                type, destination);
        throw new RefusedMessageException("refused a JMS " + type + " on " + destination
                + ": only BytesMessage and TextMessage are accepted");
    }

    private RefusedMessageException tooLarge(Message message, String type, long size) throws JMSException {
        String destination = String.valueOf(message.getJMSDestination());
        LOG.warn("Refused a JMS {} of {} bytes on {}: larger than the device bus allows ({} bytes); dropped unread",
                type, size, destination, maxBodyBytes);
        return new RefusedMessageException("refused a JMS " + type + " of " + size + " bytes on " + destination
                + ": the limit is " + maxBodyBytes + " bytes");
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
