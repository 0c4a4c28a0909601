using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Tests.Parsers;

public class SyslogHeaderTests
{
    private static readonly ParseContext Utc = new()
    {
        TimeZone = TimeZoneInfo.Utc,
        Years = new YearInference { Reference = () => new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero) },
    };

    private static SyslogHeader Parse(string line)
    {
        Assert.True(SyslogHeader.TryParse(line, Utc, out var h), $"not parsed: {line}");
        return h;
    }

    [Fact]
    public void A_file_line_without_pri_keeps_its_header_and_has_no_facility_or_severity()
    {
        var h = Parse("Mar  4 00:00:01 web1 sshd[123]: Accepted password for bob");
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 0, 0, 1, TimeSpan.Zero), h.Timestamp);
        Assert.Equal(("web1", "sshd", 123L), (h.Host, h.Program, h.Pid));
        Assert.Equal((-1, -1), (h.Facility, h.Severity));
        Assert.Null(h.MsgId);
        Assert.Null(h.StructuredData);
    }

    [Fact]
    public void A_file_line_with_an_rfc3339_stamp_still_parses()
    {
        var line = "2026-03-04T10:00:01.123456+01:00 web1 CRON[77]: (root) CMD (run-parts)";
        var h = Parse(line);
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 9, 0, 1, 123, 456, TimeSpan.Zero), h.Timestamp);
        Assert.Equal("(root) CMD (run-parts)", line[h.MessageStart..]);
    }

    [Fact]
    public void A_file_line_without_a_tag_is_still_not_a_syslog_line()
    {
        Assert.False(SyslogHeader.TryParse("Mar  4 00:00:01 web1 just some words", Utc, out _));
    }

    [Fact]
    public void The_rfc3164_network_example_gives_facility_severity_host_and_program()
    {
        const string line = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8";
        var h = Parse(line);
        Assert.Equal((4, 2), (h.Facility, h.Severity));
        Assert.Equal(new DateTimeOffset(2025, 10, 11, 22, 14, 15, TimeSpan.Zero), h.Timestamp);
        Assert.Equal(("mymachine", "su", -1L), (h.Host, h.Program, h.Pid));
        Assert.Equal("'su root' failed for lonvick on /dev/pts/8", line[h.MessageStart..]);
    }

    [Fact]
    public void An_rfc3164_message_without_a_tag_is_all_message()
    {
        const string line = "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!";
        var h = Parse(line);
        Assert.Equal((1, 5), (h.Facility, h.Severity));
        Assert.Equal(("10.0.0.99", ""), (h.Host, h.Program));
        Assert.Equal("Use the BFG!", line[h.MessageStart..]);
    }

    [Fact]
    public void An_rfc3164_message_without_a_host_starts_with_the_tag()
    {
        const string line = "<14>Nov 24 14:18:47 myapp[42]: udp 3164 hello";
        var h = Parse(line);
        Assert.Equal(("", "myapp", 42L), (h.Host, h.Program, h.Pid));
        Assert.Equal("udp 3164 hello", line[h.MessageStart..]);
    }

    [Fact]
    public void The_rfc5424_example_with_a_bom_strips_the_bom_and_keeps_the_msgid()
    {
        const string line = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8";
        var h = Parse(line);
        Assert.Equal(new DateTimeOffset(2003, 10, 11, 22, 14, 15, 3, TimeSpan.Zero), h.Timestamp);
        Assert.Equal(("mymachine.example.com", "su", -1L), (h.Host, h.Program, h.Pid));
        Assert.Equal((4, 2), (h.Facility, h.Severity));
        Assert.Equal("ID47", h.MsgId);
        Assert.Null(h.StructuredData);
        Assert.Equal("'su root' failed for lonvick on /dev/pts/8", line[h.MessageStart..]);
    }

    [Fact]
    public void The_rfc5424_example_with_an_offset_and_a_procid_gives_the_pid()
    {
        const string line = "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.";
        var h = Parse(line);
        Assert.Equal(new DateTimeOffset(2003, 8, 24, 12, 14, 15, TimeSpan.Zero).AddTicks(30), h.Timestamp);
        Assert.Equal(("192.0.2.1", "myproc", 8710L), (h.Host, h.Program, h.Pid));
        Assert.Equal((20, 5), (h.Facility, h.Severity));
        Assert.Null(h.MsgId);
        Assert.Equal("%% It's time to make the do-nuts.", line[h.MessageStart..]);
    }

    [Fact]
    public void The_rfc5424_example_with_structured_data_keeps_it_whole()
    {
        const string line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \uFEFFAn application event log entry...";
        var h = Parse(line);
        Assert.Equal("evntslog", h.Program);
        Assert.Equal("[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]", h.StructuredData);
        Assert.Equal("An application event log entry...", line[h.MessageStart..]);
    }

    [Fact]
    public void The_rfc5424_example_with_two_elements_and_no_message_keeps_both()
    {
        const string sd = "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"]";
        var line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 " + sd;
        var h = Parse(line);
        Assert.Equal(sd, h.StructuredData);
        Assert.Equal("", line[h.MessageStart..]);
    }

    [Fact]
    public void Escaped_quotes_and_brackets_inside_structured_data_values_do_not_end_it()
    {
        const string line = "<14>1 2026-01-02T03:04:05Z h app 7 M [a@1 x=\"q\\\"]\" y=\"b\\]c\"][b@1 z=\"1\"] text [not sd]";
        var h = Parse(line);
        Assert.Equal("[a@1 x=\"q\\\"]\" y=\"b\\]c\"][b@1 z=\"1\"]", h.StructuredData);
        Assert.Equal("text [not sd]", line[h.MessageStart..]);
    }

    [Fact]
    public void Nil_values_leave_host_program_pid_msgid_and_timestamp_unset()
    {
        const string line = "<14>1 - - - - - - hello";
        var h = Parse(line);
        Assert.Equal(default, h.Timestamp);
        Assert.Equal(("", "", -1L), (h.Host, h.Program, h.Pid));
        Assert.Null(h.MsgId);
        Assert.Null(h.StructuredData);

        var fallback = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var e = new Event { Timestamp = fallback };
        h.Apply(e, line);
        Assert.Equal(fallback, e.Timestamp);
        Assert.False(e.TryGet(Ecs.HostName, out _));
        Assert.False(e.TryGet(Ecs.ProcessName, out _));
        Assert.Equal("hello", e.GetString(Ecs.Message));
    }

    [Fact]
    public void A_logger_rfc5424_message_is_parsed_as_sent_by_util_linux()
    {
        const string line = "<132>1 2026-11-24T14:18:47.961107+00:00 vm myapp - M1 [timeQuality tzKnown=\"1\" isSynced=\"0\"] udp 5424 hello";
        var h = Parse(line);
        Assert.Equal((16, 4), (h.Facility, h.Severity));
        Assert.Equal(("vm", "myapp", "M1"), (h.Host, h.Program, h.MsgId));
        Assert.Equal("udp 5424 hello", line[h.MessageStart..]);
    }

    [Fact]
    public void Apply_sets_the_syslog_fields_of_a_network_message()
    {
        const string line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 99 ID47 [exampleSDID@32473 iut=\"3\"] An entry";
        var e = new Event();
        Parse(line).Apply(e, line);
        Assert.Equal(20, e.Get(SyslogHeader.FacilityCodeField).AsLong());
        Assert.Equal("local4", e.GetString(SyslogHeader.FacilityNameField));
        Assert.Equal(5, e.Get(SyslogHeader.SeverityCodeField).AsLong());
        Assert.Equal("notice", e.GetString(SyslogHeader.SeverityNameField));
        Assert.Equal(165, e.Get(SyslogHeader.PriorityField).AsLong());
        Assert.Equal("ID47", e.GetString(SyslogHeader.MsgIdField));
        Assert.Equal("[exampleSDID@32473 iut=\"3\"]", e.GetString(SyslogHeader.StructuredDataField));
        Assert.Equal(99, e.Get(Ecs.ProcessPid).AsLong());
        Assert.Equal("evntslog", e.GetString(Ecs.ProcessName));
        Assert.Equal("An entry", e.GetString(Ecs.Message));
    }

    [Fact]
    public void Apply_on_a_file_line_sets_no_syslog_fields()
    {
        const string line = "Mar  4 00:00:01 web1 sshd[123]: hi";
        var e = new Event();
        Parse(line).Apply(e, line);
        Assert.False(e.TryGet(SyslogHeader.FacilityCodeField, out _));
        Assert.False(e.TryGet(SyslogHeader.MsgIdField, out _));
        Assert.Equal("web1", e.GetString(Ecs.HostName));
    }

    [Theory]
    [InlineData("<192>Oct 11 22:14:15 host su: x")]
    [InlineData("<>Oct 11 22:14:15 host su: x")]
    [InlineData("<012>Oct 11 22:14:15 host su: x")]
    [InlineData("<34 Oct 11 22:14:15 host su: x")]
    [InlineData("<34>1 2003-10-11T22:14:15Z host app - ID [unterminated x=\"1\"")]
    [InlineData("<34>1 yesterday host app - ID - msg")]
    [InlineData("<34>1 2003-10-11T22:14:15Z host app - ID garbage msg")]
    [InlineData("<34>just text")]
    public void Malformed_network_messages_are_not_syslog(string line)
    {
        Assert.False(SyslogHeader.TryParse(line, Utc, out _));
    }

    [Fact]
    public void The_syslog_parser_matches_network_messages()
    {
        const string line = "<38>1 2026-11-24T14:18:47Z vm sshd 4242 - - Failed password for root from 203.0.113.9 port 22 ssh2";
        var e = new Event();
        Assert.Equal(ParseStatus.Matched, new SyslogLineParser().Parse(line, e, Utc).Status);
        Assert.Equal("sshd", e.GetString(Ecs.ProcessName));
        Assert.Equal(4242, e.Get(Ecs.ProcessPid).AsLong());
        Assert.Equal(6, e.Get(SyslogHeader.SeverityCodeField).AsLong());
    }
}
