"""Hand-picked hard cases for the tokenizer and encoder references."""


def hard_cases():
    return [
        "This is an example sentence",
        "Hello World",
        "",
        "   ",
        # accents and case
        "Café crème brûlée à la française",
        "Ångström, naïve résumé, façade, coöperate",
        "ÀÉÎÕÜ àéîõü ÇÑ",
        "Straße Maß Fußball",
        "İstanbul ıİ ΣΊΣΥΦΟΣ σοφός ς",
        "e\u0301 versus \u00e9, a\u030a versus \u00e5",
        "Ǆemal ǅ ǆ",
        # CJK and other scripts
        "東京物語 (1953)",
        "千と千尋の神隠し Spirited Away",
        "기생충 Parasite (2019)",
        "Crouching Tiger, Hidden Dragon (Wo hu cang long) 臥虎藏龍",
        "中文测试，标点符号。“引号”",
        "Привет, мир! Москва слезам не верит",
        "مرحبا بالعالم",
        "नमस्ते दुनिया",
        "ภาษาไทย ไม่มีช่องว่าง",
        "Γειά σου Κόσμε",
        "ＡＢＣ１２３ fullwidth ｶﾀｶﾅ",
        "ﬁnancial ﬂow ligatures Ⅻ ½ x² H₂O",
        # emoji
        "I \u2764\ufe0f movies 🎬🍿",
        "🥰😀🫠 new emoji",
        "👨\u200d👩\u200d👧 family 👍🏽 thumbs",
        "🇫🇷 flag ✈️ ☕",
        # control and invisible characters
        "tab\there\tand\tthere",
        "line\nbreak\r\nwindows\rmac",
        "nul\x00byte bell\x07 escape\x1b[0m",
        "soft\u00adhyphen zero\u200bwidth joiner\u200dnon\u200cjoiner",
        "\ufeffBOM at start",
        "nbsp\u00a0space ideographic\u3000space em\u2003space",
        "vertical\x0btab form\x0cfeed next\x85line",
        "private \ue000 use \U000f0000 unassigned \u0378 replacement \ufffd",
        "bidi \u202eoverride\u202c and \u2066isolate\u2069",
        # punctuation runs
        "Wait...what?!",
        "!!!???...,,,;;;:::",
        "a--b__c~~d",
        "(((parens))) [[brackets]] {{braces}}",
        "$100 & 50% off #1 @home ^caret* +plus= |pipe| \\back/slash`tick`",
        "«quotes» „German“ ‘single’ ‹angle›",
        "e-mail: test@example.com, url: http://www.example.com/path?q=1&r=2#frag",
        "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb (1964)",
        "em—dash en–dash ellipsis… bullet• dagger† section§ pilcrow¶",
        "∑∫√∞ ≠ ≤ ≥ ± × ÷ → ⇒ ∀∃",
        "numbers 1234567890 3.14159 1,000,000 1e-10 0x1F",
        "WALL·E (2008) Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)",
        # special tokens in text
        "[CLS] hello [SEP] world [MASK] [UNK] [PAD]",
        "a[MASK]b c[SEP]d",
        "[cls] lower [mask] is not special",
        "[CLS][SEP][MASK]",
        # long words
        "a" * 101,
        "a" * 100,
        "supercalifragilisticexpialidocious" * 3 + " short",
        "antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
        "unbelievably overrated misunderstandings",
        "x" * 99 + "é",
    ]


def long_text():
    """A text of well over 256 tokens, to test truncation."""
    s = (
        "The quick brown fox jumps over the lazy dog while the movie critics argue about "
        "whether the sequel, released twenty years later, lives up to the original. "
    )
    return " ".join("%d. %s" % (i, s) for i in range(20))
