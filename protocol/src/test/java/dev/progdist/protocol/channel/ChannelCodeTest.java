package dev.progdist.protocol.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ChannelCodeTest {

    @Test
    void labelsAreWireTokensAndRoundTrip() {
        for (ChannelCode code : ChannelCode.values()) {
            assertThat(code.label()).matches("[a-z0-9-]{1,64}");
            assertThat(ChannelCode.fromLabel(code.label())).contains(code);
            // an Error message accepts exactly these labels
            new ChannelMessage.ErrorMessage(code.label(), "x");
        }
        assertThat(Arrays.stream(ChannelCode.values()).map(ChannelCode::label).distinct())
                .hasSize(ChannelCode.values().length);
        assertThat(ChannelCode.fromLabel("no-such-code")).isEmpty();
        assertThat(ChannelCode.fromLabel(null)).isEmpty();
    }

    /** The docs' tables are what a third-party TRP or gateway is written from: every code is in them. */
    @Test
    void everyCodeIsDocumented() throws Exception {
        String docs = Files.readString(Path.of("../docs/protocol.md")) + Files.readString(Path.of("../docs/envelope.md"));
        for (ChannelCode code : ChannelCode.values()) {
            assertThat(docs).as(code.label()).contains("`" + code.label() + "`");
        }
    }
}
