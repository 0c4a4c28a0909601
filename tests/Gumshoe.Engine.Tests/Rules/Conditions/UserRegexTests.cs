using System.Text.RegularExpressions;
using Gumshoe.Engine.Rules.Conditions;

namespace Gumshoe.Engine.Tests.Rules.Conditions;

public class UserRegexTests
{
    [Theory]
    [InlineData("Failed password for (invalid user )?\\S+ from", "Failed password for ")]
    [InlineData("^adm.*", "adm")]
    [InlineData("abc+def", "abc")]
    [InlineData("abcd?ef", "abc")]
    [InlineData("abc*defg", "defg")]
    [InlineData("ab{2}cd", "ab")]
    [InlineData("ab{0,1}cdef", "cdef")]
    [InlineData("foo|barbaz", null)]
    [InlineData("(foo|bar)bazz", "bazz")]
    [InlineData("x[abc]yz\\.php$", "yz.php")]
    [InlineData("\\d+ failures? for user", " for user")]
    [InlineData("(?i)hello world", null)]
    [InlineData("a\\|b", "a|b")]
    [InlineData("\\x41BC", "BC")]
    [InlineData("\\u0041BCD", "BCD")]
    [InlineData("(a)\\12bc", "bc")]
    [InlineData("caf\u00e9 ok", "caf")]
    public void The_prefilter_literal_is_a_substring_every_match_contains(string pattern, string? literal) =>
        Assert.Equal(literal, UserRegex.FindRequiredLiteral(pattern, ascii: true));

    [Theory]
    [InlineData("Failed password for (invalid user )?\\S+ from", "FAILED PASSWORD FOR root FROM", true)]
    [InlineData("Failed password for (invalid user )?\\S+ from", "Accepted password for root from", false)]
    [InlineData("ask (me|you)", "AS\u212a me", true)]   // Kelvin sign folds to k in regex case-insensitivity
    public void Prefiltered_regexes_match_like_the_plain_regex(string pattern, string input, bool expected)
    {
        var regex = new UserRegex(pattern, default, cased: false, timedOut: null);
        Assert.Equal(expected, regex.IsMatch(input));
        Assert.Equal(expected, new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant).IsMatch(input));
    }

    [Fact]
    public void The_prefilter_never_changes_a_result()
    {
        string[] patterns =
        [
            "a{foo}", "x\\.y+z", "(?:ab)+cd", "[|]ab", "ab\\bcd", "abc?", "ab*c", "a+b+c+", "fo{2,}bar", "^$", "a.b.c",
            "user (root|admin) from", "\\x41BC", "\\p{L}+ing", "[^a]bc", "a\\]b", "ab|cd", "(?<n>ab)cd\\k<n>", "\\tab", "\\u0041bc", "\\cAxyz", "(a)\\1bc", "\\0101xyz",
            "Kelvin", "s+ss", "(ab)?abab",
        ];
        string[] inputs =
        [
            "", "a{foo}", "aoo", "x.yyz", "ababcd", "|ab", "ab cd", "ab", "abc", "ac", "abbbc", "aabbcc", "foobar", "fooobar", "a-b-c",
            "USER ROOT FROM", "ABC", "singing", "xbc", "a]b", "cd", "abcdab", "\tab", "	ab", "Kelvin", "SSS", "abab",
        ];
        foreach (var pattern in patterns)
        {
            var plain = new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
            var user = new UserRegex(pattern, default, cased: false, timedOut: null);
            foreach (var input in inputs)
                Assert.True(plain.IsMatch(input) == user.IsMatch(input), $"pattern '{pattern}' on '{input}' (prefilter '{user.RequiredLiteral}')");
        }
    }

    [Fact]
    public void Patterns_the_linear_engine_supports_use_it()
    {
        Assert.True(new UserRegex("(a+)+$", default, false, null).IsNonBacktracking);
        Assert.False(new UserRegex("(\\w)\\1", default, false, null).IsNonBacktracking);
    }
}
