import Payloads
import Testing

@testable import Projections

/// SPEC §4.1's cleaning of the strings the fold keeps, applied to payload texts.
@Suite struct FoldTextTests {
    @Test func textsAreTrimmedOfUnicodeWhitespaceAndBlankIsAbsent() {
        #expect(FoldText.clean(PayloadText("  /cart \n")) == "/cart")
        #expect(FoldText.clean(PayloadText("\u{00A0}café\u{2003}")) == "café")
        #expect(FoldText.clean(PayloadText("/a b")) == "/a b")
        #expect(FoldText.clean(PayloadText(" \t ")) == nil)
        #expect(FoldText.clean(PayloadText("")) == nil)
        #expect(FoldText.clean(nil as PayloadText?) == nil)
    }

    /// Cumulative V3 payloads re-send unchanged pages: the kept value is reused only when equal.
    @Test func theKeptValueIsReturnedOnlyWhenTheCleanedTextEqualsIt() {
        #expect(FoldText.clean(PayloadText("/cart"), keeping: "/cart") == "/cart")
        #expect(FoldText.clean(PayloadText("/checkout"), keeping: "/cart") == "/checkout")
        #expect(FoldText.clean(PayloadText("/car"), keeping: "/cart") == "/car")
        #expect(FoldText.clean(PayloadText(" /cart "), keeping: "/cart") == "/cart")
        #expect(FoldText.clean(PayloadText(" "), keeping: "/cart") == nil)
        #expect(FoldText.clean(nil, keeping: "/cart") == nil)
    }
}
